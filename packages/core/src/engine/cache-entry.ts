/**
 * The state the engine keeps per cached scope, and the per-token record a cache hit reads.
 *
 * @module
 */
import type { KeylessError } from '../errors/keyless-error.js'
import type { AccessToken } from '../token-provider.js'
import type { TimedSignal } from './abortable.js'
import type { ScopeState, ScopeStats } from './provider-stats.js'
import type { Timer } from './unref-timer.js'

/** A fetch in progress for one entry; callers join `promise`, `close()` aborts `controller`. */
export interface Flight {
  readonly promise: Promise<AccessToken>
  readonly controller: AbortController
  /** The fetch's overall deadline; its timer keeps the process alive while `waiters > 0`. */
  readonly deadline: TimedSignal
  /**
   * Callers that may still be waiting for `promise`. One without a signal counts until the fetch
   * settles; one with a signal leaves when its own wait ends (it may abort first).
   */
  waiters: number
}

/**
 * One token as the hit path needs it. Made once per token, right after its resolved promise, so
 * the two sit side by side in memory: a hit reads this record and returns `settled`, nothing else.
 */
export interface CachedToken {
  /** `Promise.resolve(token)`: a cache hit returns it and allocates nothing. */
  readonly settled: Promise<AccessToken>
  /**
   * Until when a hit needs no check but this one: the earliest of `usableUntil`, `refreshAt` and
   * the next LRU touch, or 0 while the token is not yet `used`. One field read on most hits instead
   * of four; it may be lower than that earliest time (a hit then does the full checks and sets it
   * again), never higher.
   */
  quietUntil: number
  /** The token is returned while `now < usableUntil`. */
  readonly usableUntil: number
  readonly refreshAt: number
  /** A caller used the token since it was fetched: only tokens in use are refreshed by timer. */
  used: boolean
  /** When the LRU's recency was last updated for this token's entry (at most once per second). */
  touchedAt: number
  readonly token: AccessToken
  readonly entry: CacheEntry
}

/** Everything the engine knows about one scope. Only the engine mutates it. */
export interface CacheEntry {
  /** The scope as first asked for (sent to the source) and the resource it maps to (the key). */
  readonly scope: string
  readonly resource: string
  /** The spellings of the scope that callers used; the hit index maps each to `current`. */
  readonly aliases: string[]
  current: CachedToken | undefined
  flight: Flight | undefined
  /** Flights for claims challenges, by claims string (they bypass the cache). */
  readonly claimFlights: Map<string, Flight>
  /** The refresh timer, or the background-retry timer during an outage. */
  timer: Timer | undefined
  /** Set while the breaker is open: the last fetch failed. Cleared by a success. */
  lastError: KeylessError | undefined
  failures: number
  /** No fetch for a caller without a usable token before this time (the cool-down). */
  retryAt: number
  lastForcedAt: number
  /**
   * The launch number of the claims fetch whose token was cached last (0: none). A plain fetch
   * launched before it does not replace that token: it was issued before the challenge.
   */
  claimsLaunch: number
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
    aliases: [],
    current: undefined,
    flight: undefined,
    claimFlights: new Map(),
    timer: undefined,
    lastError: undefined,
    failures: 0,
    retryAt: 0,
    lastForcedAt: Number.NEGATIVE_INFINITY,
    claimsLaunch: 0,
  }
}

/**
 * The usable token of an entry at `now`, if any.
 *
 * @example
 * ```ts
 * const token = usableToken(entry, Date.now())
 * ```
 */
export function usableToken(entry: CacheEntry, now: number): CachedToken | undefined {
  const current = entry.current
  return current !== undefined && now < current.usableUntil ? current : undefined
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
  let state: ScopeState
  if (usableToken(entry, now) !== undefined) {
    state = entry.lastError !== undefined ? 'degraded' : entry.flight !== undefined ? 'refreshing' : 'fresh'
  } else {
    state = entry.lastError !== undefined ? 'failing' : 'empty'
  }
  return {
    scope: entry.scope,
    state,
    expiresAt: entry.current?.token.expiresAt,
    refreshAt: entry.current?.refreshAt,
    lastErrorCode: entry.lastError?.code,
  }
}
