/**
 * The one place where a transport failure (no HTTP answer at all) becomes a {@link KeylessError}.
 *
 * @module
 */
import { KeylessError } from '../errors/keyless-error.js'
import { endpointLabel } from './endpoint-label.js'

/** Where the failed request was going. */
export interface NetworkErrorContext {
  /** Goes into the error's `source` and starts its message. */
  readonly source: string
  /** The request URL; only its host and path reach the message. */
  readonly url: URL
}

/** No complete answer in time: undici's own backstop timeouts. Retryable. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** The connection failed or broke; the same request may well work a moment later. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

/** What an error code must look like to be quoted in a message. */
const SAFE_CODE = /^[A-Z][A-Z0-9_]{0,39}$/

/**
 * Maps a transport failure to a {@link KeylessError}, keeping the original as `cause`.
 *
 * - undici header/body/connect timeouts → `timeout`, retryable.
 * - connection refused, reset, broken pipe, DNS and routing failures (`ECONNREFUSED`,
 *   `ECONNRESET`, `EPIPE`, `ENOTFOUND`, `EAI_AGAIN`, `EHOSTUNREACH`, `ENETUNREACH`, ...) and
 *   undici socket errors → `network`, retryable.
 * - anything else (TLS certificate errors, malformed HTTP, invalid request options) → `network`,
 *   not retryable: repeating the same request would fail the same way.
 *
 * The code is looked up on the error, its `cause`, and the first of an `AggregateError`'s errors
 * (Node's happy-eyeballs connect). The message quotes only that code, the host and the path.
 *
 * @example
 * ```ts
 * const error = networkError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
 *   source: 'imds',
 *   url: new URL('http://169.254.169.254/metadata/identity/oauth2/token'),
 * })
 * error.code // 'network'; error.retryable === true
 * ```
 */
export function networkError(error: unknown, context: NetworkErrorContext): KeylessError {
  const errno = errorCode(error)
  const where = endpointLabel(context.url)
  const quoted = errno !== undefined && SAFE_CODE.test(errno) ? ` (${errno})` : ''
  if (errno !== undefined && TIMEOUT_CODES.has(errno)) {
    return new KeylessError('timeout', `${context.source}: ${where} did not answer in time${quoted}; check that the endpoint is reachable from this host`, {
      source: context.source,
      retryable: true,
      cause: error,
    })
  }
  const retryable = errno !== undefined && TRANSIENT_CODES.has(errno)
  const advice = retryable
    ? 'check that the endpoint is reachable from this host and that the source matches this environment'
    : 'check the endpoint URL and its TLS setup'
  return new KeylessError('network', `${context.source}: the request to ${where} failed${quoted}; ${advice}`, {
    source: context.source,
    retryable,
    cause: error,
  })
}

function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined
  const own = (error as { code?: unknown }).code
  if (typeof own === 'string' && own !== '') return own
  const { cause } = error as { cause?: unknown }
  const fromCause = errorCode(cause, depth + 1)
  if (fromCause !== undefined) return fromCause
  if (error instanceof AggregateError) return errorCode(error.errors[0], depth + 1)
  return undefined
}
