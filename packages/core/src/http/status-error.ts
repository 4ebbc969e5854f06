/**
 * The one place where a non-2xx HTTP answer becomes a {@link KeylessError}: its code, whether it
 * is retryable, how long the endpoint asked us to wait, and what the message tells the user.
 *
 * @module
 */
import { KeylessError, type KeylessErrorCode } from '../errors/keyless-error.js'
import { parseErrorBody } from '../parse/parse-error-body.js'
import { endpointLabel } from './endpoint-label.js'

/** Longest wait a `Retry-After` (or `retry-after-ms`) header can ask for: 60 000 ms. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000

/** Response headers as undici gives them: lower-case names, repeated headers as arrays. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>

/** Where the answer came from and how the source wants it judged. */
export interface StatusErrorContext {
  /** Goes into the error's `source` and starts its message (`imds`, `app-service`, ...). */
  readonly source: string
  /** The request URL; only its host and path reach the message. */
  readonly url: URL
  /** Statuses this source retries (from its `RetryPolicy`); sets `retryable`. */
  readonly retryableStatuses: ReadonlySet<number>
  /** Cap of `retryAfterMs`, in ms. Default {@link DEFAULT_MAX_RETRY_AFTER_MS}. */
  readonly maxRetryAfterMs?: number | undefined
  /** Clock for `Retry-After` HTTP dates, epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined
  /**
   * Values that must never reach the error, such as the request's header values: an endpoint that
   * echoes one in its `error` field loses `upstreamError` instead of leaking it.
   */
  readonly withheld?: ReadonlyArray<string> | undefined
}

/**
 * Classifies a non-2xx answer into a {@link KeylessError}.
 *
 * - `429` → `throttled`; a status the source retries, and any `5xx`, → `endpoint-unavailable`;
 *   every other status (4xx the source does not retry, such as Entra's 404 for an unknown tenant,
 *   and 3xx) → `rejected`. The code and `retryable` therefore never disagree about a 4xx.
 * - `retryable` is `retryableStatuses.has(status)`, nothing else.
 * - `retryAfterMs` comes from `retry-after-ms`, then `x-ms-retry-after-ms` (milliseconds), then
 *   `Retry-After` (delta seconds or an HTTP date, relative to `now()`); it is capped at
 *   `maxRetryAfterMs` and `undefined` when absent or invalid.
 * - `upstreamError` is the body's `error` (or `error.code`) identifier when it is a short safe
 *   token (see `parseErrorBody`) and holds none of `withheld`; the body itself and every header
 *   value stay out of the error.
 *
 * @param status - The HTTP status, expected outside 200–299.
 * @param headers - The response headers.
 * @param body - The parsed JSON body, or `undefined` when it was absent, too large or not JSON.
 * @example
 * ```ts
 * const error = statusError(429, { 'retry-after': '3' }, undefined, {
 *   source: 'imds',
 *   url: new URL('http://169.254.169.254/metadata/identity/oauth2/token'),
 *   retryableStatuses: new Set([429]),
 * })
 * error.code // 'throttled'; error.retryAfterMs === 3000
 * ```
 */
export function statusError(status: number, headers: ResponseHeaders, body: unknown, context: StatusErrorContext): KeylessError {
  const code = statusCode(status, context.retryableStatuses)
  const upstreamError = withhold(parseErrorBody(body), context.withheld)
  const retryAfter = retryAfterMs(headers, context.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS, context.now ?? Date.now)
  const detail = upstreamError === undefined ? '' : ` (${upstreamError})`
  const message = `${context.source}: ${endpointLabel(context.url)} answered ${status}${detail}; ${guidance(status)}`
  return new KeylessError(code, message, {
    source: context.source,
    status,
    retryable: context.retryableStatuses.has(status),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    ...(upstreamError === undefined ? {} : { upstreamError }),
  })
}

function statusCode(status: number, retryable: ReadonlySet<number>): KeylessErrorCode {
  if (status === 429) return 'throttled'
  if (retryable.has(status) || status >= 500) return 'endpoint-unavailable'
  return 'rejected'
}

function withhold(identifier: string | undefined, withheld: ReadonlyArray<string> | undefined): string | undefined {
  if (identifier === undefined || withheld === undefined) return identifier
  return withheld.some((secret) => secret !== '' && (identifier.includes(secret) || secret.includes(identifier))) ? undefined : identifier
}

function guidance(status: number): string {
  if (status >= 300 && status < 400) {
    return 'keyless never follows redirects; point the source at the token endpoint itself'
  }
  switch (status) {
    case 400:
      return 'check the scope and the identity settings (client id, tenant, selected identity); upstreamError names the cause'
    case 401:
    case 403:
      return 'the endpoint refused the credential; check that it is current and that the identity is assigned to this resource'
    case 404:
    case 410:
      return 'the endpoint, tenant or identity was not found, or the endpoint is updating; check the endpoint URL and the identity assignment'
    case 405:
      return 'the endpoint does not accept this method; check the endpoint URL'
    case 408:
      return 'the endpoint timed out; retry later'
    case 429:
      return 'the endpoint is throttling; reduce the request rate (share one provider per process so tokens are cached)'
    default:
      return status >= 500
        ? 'the endpoint or its identity service is failing; retry later'
        : 'check the endpoint URL, the scope and the selected identity'
  }
}

/** Days and formats RFC 9110 §5.6.7 allows in an HTTP date: each one starts with a day name. */
const HTTP_DATE_START = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /
const DELTA_SECONDS = /^\d{1,10}$/
const MILLISECONDS = /^\d{1,12}(?:\.\d+)?$/

function retryAfterMs(headers: ResponseHeaders, maxMs: number, now: () => number): number | undefined {
  const cap = (ms: number): number => Math.min(Math.max(0, Math.ceil(ms)), maxMs)
  // core-rest-pipeline's throttling strategy reads these two first (reference/protocols.md §1.6).
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = header(headers, name)
    if (value !== undefined && MILLISECONDS.test(value)) return cap(Number(value))
  }
  const value = header(headers, 'retry-after')
  if (value === undefined) return undefined
  if (DELTA_SECONDS.test(value)) return cap(Number(value) * 1000)
  if (!HTTP_DATE_START.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isFinite(at) ? cap(at - now()) : undefined
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  let value = headers[name]
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
    value = key === undefined ? undefined : headers[key]
  }
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first.trim() : undefined
}
