/**
 * The AccessToken objects keyless hands out: the token value is readable, never printable.
 *
 * @module
 */
import type { AccessToken } from './token-provider.js'

const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/** What `JSON.stringify`, `util.inspect` and `console.log` show instead of a token value. */
export const REDACTED = '[redacted]'

class RedactedAccessToken implements AccessToken {
  readonly #token: string
  readonly expiresAt: number
  readonly refreshAt: number
  readonly tokenType = 'Bearer' as const

  constructor(token: string, expiresAt: number, refreshAt: number) {
    this.#token = token
    this.expiresAt = expiresAt
    this.refreshAt = refreshAt
    Object.freeze(this)
  }

  // A prototype getter, so the value is not an own enumerable property: spreads, JSON and
  // structured logs never carry it, while `accessToken.token` and destructuring still work.
  get token(): string {
    return this.#token
  }

  toJSON(): Record<string, unknown> {
    return { token: REDACTED, expiresAt: this.expiresAt, refreshAt: this.refreshAt, tokenType: this.tokenType }
  }

  [INSPECT](): string {
    const at = (ms: number) => new Date(ms).toISOString()
    return `AccessToken { token: '${REDACTED}', expiresAt: ${at(this.expiresAt)}, refreshAt: ${at(this.refreshAt)}, tokenType: 'Bearer' }`
  }
}

/**
 * Makes a frozen {@link AccessToken} whose value is hidden from `JSON.stringify` and `util.inspect`.
 *
 * @example
 * ```ts
 * const token = createAccessToken(jwt, Date.now() + 3_600_000, Date.now() + 1_800_000)
 * console.log(token) // AccessToken { token: '[redacted]', ... }
 * ```
 */
export function createAccessToken(token: string, expiresAt: number, refreshAt: number): AccessToken {
  return new RedactedAccessToken(token, expiresAt, refreshAt)
}
