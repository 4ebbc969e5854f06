/**
 * How the report writes numbers: figures, ratios, and a figure over runs.
 *
 * @module
 */
import type { Metric } from './stats.js'

/** A number for humans: grouped thousands, fewer decimals as it grows; "—" when unknown. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : 2
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A ratio as `1.23×` (two significant digits below 0.1). */
export function ratio(value: number): string {
  if (!Number.isFinite(value)) return '—'
  return value >= 0.1 ? `${value.toFixed(2)}×` : `${value.toPrecision(2)}×`
}

/**
 * A ratio to three decimals, `0.970×`; "—" when unknown. For figures a few per cent apart: the
 * plugin target sits at 0.97, where two decimals would round a miss into a pass.
 */
export function ratio3(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(3)}×` : '—'
}

/** A fraction as a percentage to one decimal, `0.162` as `16.2 %` and `0.03` as `3 %`; "—" when unknown. */
export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${Number((fraction * 100).toFixed(1))} %` : '—'
}

/** `median (min–max)`. */
export const spread = (m: Metric): string => `${num(m.median)} (${num(m.min)}–${num(m.max)})`

/** Every run's value, comma-separated, in run order. */
export const perRun = (m: Metric): string => m.runs.map((v) => num(v)).join(', ')
