/**
 * Small statistics helpers.
 *
 * @module
 */

/** The median of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The total of `values`; 0 when empty. */
export function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0)
}

/** The arithmetic mean of `values`; NaN when empty. */
export function mean(values: readonly number[]): number {
  return sum(values) / values.length
}

/** The geometric mean of `values` (all positive); NaN when empty. */
export function geometricMean(values: readonly number[]): number {
  return Math.exp(mean(values.map((v) => Math.log(v))))
}

/** The sample standard deviation of `values` (n − 1 in the denominator); NaN for fewer than two. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN
  const m = mean(values)
  return Math.sqrt(sum(values.map((v) => (v - m) ** 2)) / (values.length - 1))
}

/** Smallest and largest of `values`. */
export function range(values: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) }
}

/** A figure over runs: the median, and every run's value (NaN where the run failed). */
export interface Metric {
  median: number
  min: number
  max: number
  runs: number[]
}

/** {@link Metric} of `values`; non-finite values (failed runs) are kept in `runs` but not counted. */
export function metric(values: number[]): Metric {
  const ok = values.filter((v) => Number.isFinite(v))
  return { median: median(ok), min: ok.length ? Math.min(...ok) : Number.NaN, max: ok.length ? Math.max(...ok) : Number.NaN, runs: values }
}

/** The `p`-th percentile (0–100) of `values`, nearest rank; NaN when empty. Sorts a copy. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}
