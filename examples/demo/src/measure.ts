/**
 * Small measuring and formatting helpers for the demo.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Nanoseconds since some fixed point, as a number (fine for spans of minutes). */
export function nowNs(): number {
  return Number(process.hrtime.bigint())
}

/** `1234567` → `1,234,567`. */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** A duration in ns, in the unit that reads best: `38 ns`, `21.4 µs`, `0.31 ms`, `1503 ms`, `2.4 s`. */
export function duration(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`
  if (ns < 100_000) return `${(ns / 1_000).toFixed(1)} µs`
  if (ns < 10_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`
  if (ns < 10_000_000_000) return `${(ns / 1_000_000).toFixed(0)} ms`
  return `${(ns / 1_000_000_000).toFixed(1)} s`
}

/** `n` `word`, plural with an `s` unless `n` is 1. */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`
}

/** Resolves with the result of `wait`, or rejects with `message` after `ms`. */
export async function within<T>(ms: number, message: string, wait: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  try {
    return await Promise.race([wait, timeout])
  } finally {
    clearTimeout(timer)
  }
}
