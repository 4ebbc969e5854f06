/**
 * The state the engine keeps per cached scope, and the questions it asks of it.
 *
 * @module
 */
import type { KeylessError } from '../errors/keyless-error.js'
import type { AccessToken } from '../token-provider.js'
import type { ScopeState, ScopeStats } from './provider-stats.js'

/** A fetch in progress for one entry; callers join `promise`, `close()` aborts `controller`. */
export interface Flight {
  readonly promise: Promise<AccessToken>
  readonly controller: AbortController
}

/** Everything the engine knows about one scope. Only the engine mutates it. */
export interface CacheEntry {
  /** The scope as first asked for (sent to the source) and the resource it maps to (the key). */
  readonly scope: string
  readonly resource: string
  token: AccessToken | undefined
  /** `Promise.resolve(token)`, made once per token so a cache hit allocates nothing. */
  settled: Promise<AccessToken> | undefined
  /** The token is returned while `now < usableUntil` (0 when there is none). */
  usableUntil: number
  refreshAt: number
  /** A caller used the token since it was fetched: only tokens in use are refreshed by timer. */
  used: boolean
  flight: Flight | undefined
  /** Flights for claims challenges, by claims string (they bypass the cache). */
  readonly claimFlights: Map<string, Flight>
  /** The refresh timer, or the background-retry timer during an outage. */
  timer: ReturnType<typeof setTimeout> | undefined
  /** Set while the breaker is open: the last fetch failed. Cleared by a success. */
  lastError: KeylessError | undefined
  failures: number
  /** No fetch for a caller without a usable token before this time (the cool-down). */
  retryAt: number
  lastForcedAt: number
}

/**
 * Makes an empty entry for a scope.
 *
 * @example
 * ```ts
 * const entry = createCacheEntry('https://vault.azure.net/.default', 'https://vault.azure.net')
 * ```
 */
export function createCacheEntry(scope: string, resource: string): CacheEntry {
  return {
    scope,
    resource,
    token: undefined,
    settled: undefined,
    usableUntil: 0,
    refreshAt: 0,
    used: false,
    flight: undefined,
    claimFlights: new Map(),
    timer: undefined,
    lastError: undefined,
    failures: 0,
    retryAt: 0,
    lastForcedAt: Number.NEGATIVE_INFINITY,
  }
}

/**
 * The snapshot of an entry for `stats()`: timing, state and the last error code, never the token.
 *
 * @example
 * ```ts
 * const scopes = entries.map((entry) => describeEntry(entry, Date.now()))
 * ```
 */
export function describeEntry(entry: CacheEntry, now: number): ScopeStats {
  const usable = now < entry.usableUntil
  let state: ScopeState
  if (usable) state = entry.lastError !== undefined ? 'degraded' : entry.flight !== undefined ? 'refreshing' : 'fresh'
  else state = entry.lastError !== undefined ? 'failing' : 'empty'
  return {
    scope: entry.scope,
    state,
    expiresAt: entry.token?.expiresAt,
    refreshAt: entry.token?.refreshAt,
    lastErrorCode: entry.lastError?.code,
  }
}
