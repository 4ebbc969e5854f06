/**
 * What a source package (imds, app-service, workload-identity) gives the engine: a small object
 * that makes exactly one upstream request. Caching, single-flight, refresh, retry, breaker and
 * cancellation are the engine's (`createTokenProvider`); a source never retries by itself.
 *
 * @module
 */

/** One upstream request, as the engine asks a source for it. */
export interface SourceRequest {
  /** The scope as the caller gave it, validated (one scope, no whitespace or control characters). */
  readonly scope: string
  /** The v1 resource for the scope (`/.default` removed); sources that speak v1 send this. */
  readonly resource: string
  /** A claims challenge to forward, when the caller gave one. */
  readonly claims: string | undefined
  /** Aborted on the attempt timeout, the overall deadline, or `close()`. Pass it to the HTTP call. */
  readonly signal: AbortSignal
}

/** The one token a source's request produced. */
export interface SourceToken {
  readonly token: string
  /** Epoch ms. */
  readonly expiresAt: number
  /** Epoch ms, when the server said when to refresh (`refresh_in`, `refresh_on`). */
  readonly refreshAt?: number | undefined
}

/**
 * Which failures of a source are worth retrying and how long to wait. Sources declare it; the
 * engine's retry loop applies it. The HTTP seam uses `retryableStatuses` to mark errors
 * `retryable`; the loop itself reads only `error.retryable` and `error.retryAfterMs`.
 */
export interface RetryPolicy {
  /** HTTP statuses to retry (network errors and attempt timeouts are always retryable). */
  readonly retryableStatuses: ReadonlySet<number>
  /**
   * Statuses that keep being retried for this long after they are first seen, whatever the retry
   * count says. IMDS: `410 → 70 000` ("available within 70 seconds", protocols.md §1.6).
   */
  readonly windowMsByStatus?: ReadonlyMap<number, number>
  /** Retries after the first attempt. */
  readonly retries: number
  /** Base of the exponential backoff (full jitter: each delay is uniform in [0, min(cap, base·2^n)]). */
  readonly baseDelayMs: number
  /** Cap of one backoff delay. */
  readonly maxDelayMs: number
  /** The least delay before any retry (IMDS: "retry after ≥ 1 s" for 5xx). */
  readonly minDelayMs?: number
}

/** The source side of a provider. */
export interface TokenSource {
  /** Source kind, used as the provider's `name` and as `error.source`: `imds`, `app-service`, ... */
  readonly kind: string
  /**
   * The identity this source speaks for: kind + endpoint + selected identity + tenant, never a
   * secret. A provider has exactly one source and its own cache, so every cache key lives under
   * this identity (DESIGN.md rule 2); `stats().identity` reports it.
   */
  readonly identity: string
  /** The retry rules for this source's endpoint. */
  readonly retryPolicy: RetryPolicy
  /** Human-readable summary (source and endpoint host), never a secret. */
  describe(): string
  /** Makes exactly one request. Rejects with a `KeylessError` whose `retryable` is set. */
  fetchToken(request: SourceRequest): Promise<SourceToken>
  /** Releases sockets. Called once by the provider's `close()`. */
  close?(): Promise<void>
}
