/**
 * When to refresh a token (DESIGN.md, engine rule 4).
 *
 * @module
 */
import type { SourceToken } from '../source/token-source.js'

/** Lifetimes above this refresh at half-life (MSAL's rule, protocols.md §1.5). */
export const HALF_LIFE_THRESHOLD_MS: number = 2 * 60 * 60 * 1000
/** For shorter lifetimes, refresh this long before expiry (or at half-life if that is sooner). */
export const SHORT_LIFETIME_LEAD_MS: number = 5 * 60 * 1000

/**
 * Computes the refresh point of a token obtained at `obtainedAt`: the server's `refresh_in` when
 * given; else half the lifetime when it exceeds 2 h; else `expiresAt − min(5 min, lifetime/2)`.
 * Then pulls it earlier by `random() × jitterRatio × lifetime` so replicas do not refresh together.
 * The result is never before `obtainedAt` and never after `latestAt` (the end of usability).
 *
 * @example
 * ```ts
 * refreshAt(0, { token, expiresAt: 24 * 3_600_000 }, { jitterRatio: 0, latestAt: Infinity }) // 12 h
 * ```
 */
export function refreshAt(
  obtainedAt: number,
  token: SourceToken,
  options: { jitterRatio: number; latestAt: number; random?: (() => number) | undefined },
): number {
  const lifetime = Math.max(0, token.expiresAt - obtainedAt)
  let at: number
  if (token.refreshAt !== undefined && token.refreshAt > obtainedAt && token.refreshAt < token.expiresAt) {
    at = token.refreshAt
  } else if (lifetime > HALF_LIFE_THRESHOLD_MS) {
    at = obtainedAt + lifetime / 2
  } else {
    at = token.expiresAt - Math.min(SHORT_LIFETIME_LEAD_MS, lifetime / 2)
  }
  const random = options.random ?? Math.random
  at -= random() * options.jitterRatio * lifetime
  return Math.round(Math.max(obtainedAt, Math.min(at, options.latestAt)))
}
