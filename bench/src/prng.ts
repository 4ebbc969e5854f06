/**
 * A small seeded PRNG so every run draws the same jitter.
 *
 * @module
 */

/** mulberry32: a 32-bit seeded generator returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed every provider of the benchmark uses. */
export const BENCH_SEED = 0x6b65796c // "keyl"
