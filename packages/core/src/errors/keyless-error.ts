/**
 * The one error class of keyless, its stable codes, and a guard that works across copies of the
 * package. Callers branch on `code`; the retry loop reads only `retryable`.
 *
 * @module
 */

/** Where every code is explained: what it means and what to do. */
export const ERRORS_DOC_URL = 'https://github.com/keyless-js/keyless/blob/main/docs/errors.md'

/**
 * Every code a {@link KeylessError} can carry. The set is stable: a code is never renamed or reused.
 *
 * - `config`: an option or environment variable is invalid; thrown synchronously by factories.
 * - `invalid-scope`: the scope is empty, has whitespace or control characters, or is several scopes.
 * - `unavailable`: this source does not exist in this environment (a chain moves on to the next).
 * - `network`: the connection failed or broke (refused, reset, DNS).
 * - `timeout`: one attempt got no complete response within `attemptTimeoutMs`.
 * - `deadline`: the whole acquisition, retries included, ran past `deadlineMs`.
 * - `throttled`: the endpoint answered 429 and the retries ran out.
 * - `endpoint-unavailable`: the endpoint answered a transient status (404, 408, 410, 5xx) and the retries ran out.
 * - `rejected`: the endpoint refused the request with a status that retrying cannot fix (most 4xx).
 * - `bad-response`: the response was not JSON, too large, or had no usable token or expiry.
 * - `federated-token-file`: the Workload Identity token file is missing, empty or unreadable.
 * - `aborted`: the caller's `signal` aborted its wait (the shared fetch goes on for others).
 * - `closed`: the provider was closed.
 */
export type KeylessErrorCode =
  | 'config'
  | 'invalid-scope'
  | 'unavailable'
  | 'network'
  | 'timeout'
  | 'deadline'
  | 'throttled'
  | 'endpoint-unavailable'
  | 'rejected'
  | 'bad-response'
  | 'federated-token-file'
  | 'aborted'
  | 'closed'

/** Fields of a {@link KeylessError} besides its code and message. */
export interface KeylessErrorOptions {
  /** The source that failed (`imds`, `app-service`, ...), or `keyless` for engine errors. */
  source?: string
  /** The HTTP status the endpoint answered, when there was one. */
  status?: number
  /** Whether retrying the same request may succeed. The retry loop reads nothing else. */
  retryable?: boolean
  /** How long the endpoint asked us to wait (`Retry-After`), already capped, in ms. */
  retryAfterMs?: number
  /** The endpoint's own short error identifier (`invalid_request`, `bad_request_102`), when it sent one. */
  upstreamError?: string
  /** The error that caused this one. */
  cause?: unknown
}

const BRAND = Symbol.for('keyless.error')

/**
 * The error every keyless operation rejects or throws with.
 *
 * Its message says what failed, where (host and path, never a query string), and what to do. It
 * never holds an access token, an assertion, a header value or a response body, in any field.
 *
 * @example
 * ```ts
 * try {
 *   await provider.getToken('https://vault.azure.net/.default')
 * } catch (error) {
 *   if (isKeylessError(error) && error.code === 'unavailable') useAnotherCredential()
 *   else throw error
 * }
 * ```
 */
export class KeylessError extends Error {
  override readonly name = 'KeylessError'
  readonly code: KeylessErrorCode
  readonly source: string
  readonly status: number | undefined
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly upstreamError: string | undefined

  constructor(code: KeylessErrorCode, message: string, options: KeylessErrorOptions = {}) {
    super(`${message} (${code}; see ${ERRORS_DOC_URL}#${code})`, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.source = options.source ?? 'keyless'
    this.status = options.status
    this.retryable = options.retryable ?? false
    this.retryAfterMs = options.retryAfterMs
    this.upstreamError = options.upstreamError
  }

  /** True for any keyless error, even one made by another copy of this package. */
  static is(value: unknown): value is KeylessError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  /** A plain description for logs; holds nothing secret (no message parts come from responses). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      source: this.source,
      status: this.status,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      upstreamError: this.upstreamError,
    }
  }
}

Object.defineProperty(KeylessError.prototype, BRAND, { value: true })

/**
 * Tells whether `value` is a {@link KeylessError}, across copies of the package (use it, or match
 * on `code`, rather than bare `instanceof`).
 *
 * @example
 * ```ts
 * if (isKeylessError(error) && error.code === 'throttled') metrics.throttled++
 * ```
 */
export function isKeylessError(value: unknown): value is KeylessError {
  return KeylessError.is(value)
}

/** Shorthand for the config error every factory throws synchronously on bad options. */
export function configError(message: string, source?: string): KeylessError {
  return new KeylessError('config', message, source === undefined ? {} : { source })
}

/**
 * The error a released wait rejects with: the abort reason itself when it is already a
 * `KeylessError` (the engine's `deadline`, a `closed`, a timeout), else an `aborted` error with
 * `message` whose `cause` is the reason. The one rule for every wait that a signal can end.
 *
 * @example
 * ```ts
 * untilAborted(pending, signal, (reason) => abortedError(reason, 'fastify', 'fastify: the wait was aborted'))
 * ```
 */
export function abortedError(reason: unknown, source: string, message: string): KeylessError {
  return isKeylessError(reason) ? reason : new KeylessError('aborted', message, { source, cause: reason })
}
