/**
 * The public contract every keyless provider implements.
 *
 * @module
 */

/**
 * An access token and its timing, all times epoch milliseconds.
 *
 * Objects keyless returns keep `token` off their own enumerable properties: `JSON.stringify`,
 * `util.inspect` and `console.log` show `[redacted]`, while `token.token` reads the value.
 */
export interface AccessToken {
  /** The bearer token value. Never log it. */
  readonly token: string
  /** When the token expires, per the issuer. */
  readonly expiresAt: number
  /** When keyless refreshes it in the background (jittered, before `expiresAt`). */
  readonly refreshAt: number
  readonly tokenType: 'Bearer'
}

/** Per-call options of {@link TokenProvider.getToken}. */
export interface GetTokenOptions {
  /** Releases this caller only: it rejects with `aborted`; a shared fetch goes on for the others. */
  signal?: AbortSignal | undefined
  /**
   * Fetch a new token even if the cached one is usable (after a 401, say). Concurrent forced calls
   * share one fetch, and forced fetches per scope are rate-limited (`forceRefreshIntervalMs`).
   */
  forceRefresh?: boolean | undefined
  /** A claims challenge (CAE): bypasses the cache; the token obtained replaces the cached one. */
  claims?: string | undefined
}

/**
 * Gives access tokens for scopes. Providers from keyless cache, refresh in the background, retry
 * and single-flight on their own; nobody has to wrap them.
 */
export interface TokenProvider {
  /** Which source the provider speaks to (`imds`, `app-service`, ...). */
  readonly name: string
  /**
   * Resolves a usable token for one scope: a v2 scope (`https://vault.azure.net/.default`) or a v1
   * resource (`https://vault.azure.net`). A cached, usable token resolves with no I/O.
   */
  getToken(scope: string, options?: GetTokenOptions): Promise<AccessToken>
  /** The cached token for `scope` if it is usable now; synchronous, no I/O, never starts a fetch. */
  peekToken?(scope: string): AccessToken | undefined
  /**
   * `getToken(scope)`'s cache hit alone: the promise it would return for a usable cached token
   * (counted as a hit), or `undefined`, with no other effect, when it would have to fetch or fail.
   * Integrations call it through `cachedTokenOf()`, which falls back to `peekToken`.
   */
  cachedToken?(scope: string): Promise<AccessToken> | undefined
}
