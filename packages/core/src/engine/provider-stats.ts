/**
 * The `stats()` snapshot of a provider.
 *
 * @module
 */
import type { KeylessErrorCode } from '../errors/keyless-error.js'

/** How one cached scope stands. */
export type ScopeState =
  /** A usable token, no fetch running. */
  | 'fresh'
  /** A usable token, and a fetch running in the background. */
  | 'refreshing'
  /** A usable token, but the last fetch failed: served while usable, retried in the background. */
  | 'degraded'
  /** No usable token, and the last fetch failed: callers fail fast until the cool-down ends. */
  | 'failing'
  /** No usable token yet; a fetch may be running. */
  | 'empty'

/** One cached scope in a {@link ProviderStats} snapshot. Never holds a token. */
export interface ScopeStats {
  readonly scope: string
  readonly state: ScopeState
  readonly expiresAt: number | undefined
  readonly refreshAt: number | undefined
  readonly lastErrorCode: KeylessErrorCode | undefined
}

/** Counters since the provider was made, and the state of every cached scope. */
export interface ProviderStats {
  /** The source identity every cached token belongs to (kind, endpoint, selected identity). */
  readonly identity: string
  readonly hits: number
  readonly misses: number
  /** Requests sent to the endpoint (every attempt, retries included). */
  readonly upstreamRequests: number
  readonly refreshes: number
  readonly refreshFailures: number
  readonly retries: number
  readonly evictions: number
  /** Fetches running now. */
  readonly inflight: number
  readonly scopes: readonly ScopeStats[]
}

/** The counters the engine bumps. */
export interface Counters {
  hits: number
  misses: number
  upstreamRequests: number
  refreshes: number
  refreshFailures: number
  retries: number
  evictions: number
}

/**
 * Makes a zeroed set of counters.
 *
 * @example
 * ```ts
 * const counters = zeroCounters()
 * counters.hits++
 * ```
 */
export function zeroCounters(): Counters {
  return { hits: 0, misses: 0, upstreamRequests: 0, refreshes: 0, refreshFailures: 0, retries: 0, evictions: 0 }
}
