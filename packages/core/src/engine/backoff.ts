/**
 * Backoff delays: full jitter for attempts within one fetch, equal jitter for the breaker.
 *
 * @module
 */

/**
 * The delay before retry number `retriesSoFar + 1`: uniform in `[floorMs, max(floorMs, min(capMs,
 * baseMs·2^retriesSoFar))]` ("full jitter", lifted to a floor).
 *
 * @example
 * ```ts
 * fullJitterDelay(2, { baseMs: 1000, capMs: 30_000, floorMs: 0 }) // somewhere in [0, 4000]
 * ```
 */
export function fullJitterDelay(
  retriesSoFar: number,
  options: { baseMs: number; capMs: number; floorMs: number; random?: (() => number) | undefined },
): number {
  const ceiling = Math.max(options.floorMs, Math.min(options.capMs, options.baseMs * 2 ** retriesSoFar))
  return Math.round(options.floorMs + (options.random ?? Math.random)() * (ceiling - options.floorMs))
}

/**
 * The breaker's cool-down after `failures` consecutive failed fetches: doubling from `baseMs`,
 * capped at `capMs`, with half of it jittered so it is never zero and replicas spread out.
 *
 * @example
 * ```ts
 * coolDownDelay(3, { baseMs: 5000, capMs: 300_000 }) // in [10 000, 20 000]
 * ```
 */
export function coolDownDelay(failures: number, options: { baseMs: number; capMs: number; random?: (() => number) | undefined }): number {
  const full = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, failures - 1))
  return Math.round(full / 2 + (options.random ?? Math.random)() * (full / 2))
}
