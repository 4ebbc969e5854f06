/**
 * Turns a parsed token-endpoint response into the token a source gives the engine.
 *
 * @module
 */
import { KeylessError } from '../errors/keyless-error.js'
import type { SourceToken } from '../source/token-source.js'
import { parseExpiresOn, parseSeconds } from './parse-expiry.js'

/** Longest token lifetime accepted: one year. Anything later is a unit mix-up, not a token. */
export const MAX_TOKEN_LIFETIME_MS: number = 365 * 24 * 60 * 60 * 1000

/** What {@link parseTokenResponse} needs besides the body. */
export interface ParseTokenResponseOptions {
  /** Goes into the error's `source` and starts its message. */
  readonly source: string
  /**
   * Epoch ms that relative fields (`expires_in`, `refresh_in`) count from. Pass the time the
   * request was sent, so the token never looks fresher than it is.
   */
  readonly now: number
}

/**
 * Validates a token response body and reads its token, expiry and server refresh hint.
 *
 * - `access_token`: a non-empty string.
 * - expiry, in the tolerant order of reference/protocols.md §1.4: `expires_on` in any form
 *   `parseExpiresOn` accepts (epoch seconds as number or string, ISO 8601, RFC 1123, the legacy
 *   App Service 2017 date), else `expires_in` (seconds, number or numeric string) from `now`.
 * - `refreshAt`: `refresh_in` (seconds > 0, number or numeric string) from `now`, else
 *   `refresh_on` (same forms as `expires_on`); left out when absent or not strictly between `now`
 *   and `expiresAt`.
 *
 * Throws a `bad-response` KeylessError (not retryable) when the body is not a JSON object, has no
 * usable `access_token`, has no readable expiry, or expires at or before `now` or more than
 * {@link MAX_TOKEN_LIFETIME_MS} after it. Messages name fields, never their values.
 *
 * @example
 * ```ts
 * const token = parseTokenResponse(
 *   { access_token: 'eyJ...', expires_on: '1893456000', token_type: 'Bearer' },
 *   { source: 'imds', now: Date.now() },
 * )
 * token.expiresAt // 1893456000000
 * ```
 */
export function parseTokenResponse(body: unknown, options: ParseTokenResponseOptions): SourceToken {
  const { source, now } = options
  const fail = (problem: string): never => {
    throw new KeylessError('bad-response', `${source}: the token response ${problem}; check that the endpoint is a managed-identity token endpoint`, {
      source,
      retryable: false,
    })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('is not a JSON object')
  const fields = body as Record<string, unknown>

  const token = fields['access_token']
  if (typeof token !== 'string' || token === '') return fail('has no access_token')

  const expiresIn = parseSeconds(fields['expires_in'])
  const expiresAt = parseExpiresOn(fields['expires_on']) ?? (expiresIn === undefined ? undefined : now + Math.round(expiresIn * 1000))
  if (expiresAt === undefined) return fail('has no readable expiry (expires_on or expires_in)')
  if (expiresAt <= now) return fail('holds a token that has already expired')
  if (expiresAt - now > MAX_TOKEN_LIFETIME_MS) return fail('holds an expiry more than a year away')

  const refreshIn = parseSeconds(fields['refresh_in'])
  const refreshAt = refreshIn === undefined ? parseExpiresOn(fields['refresh_on']) : now + Math.round(refreshIn * 1000)
  return refreshAt !== undefined && refreshAt > now && refreshAt < expiresAt ? { token, expiresAt, refreshAt } : { token, expiresAt }
}
