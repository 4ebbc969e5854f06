/**
 * The arithmetic of `compare-builds.js`: from every server process's slices, each build's figure
 * per variant and the ratio of the two builds with its standard error.
 *
 * Each slice is first divided by the geometric mean of every server's slice in the same cycle, so
 * that a minute in which the whole host ran slow moves no arm more than another. A process's
 * figure is the median of its relative slices; an arm's (one build, one variant) is the mean of
 * its processes' figures, and their spread is the arm's own A/A control.
 *
 * The ratio is paired: the k-th process of one build's arm is compared with the k-th of the
 * other's, which started next to it, and the ratio is the geometric mean of those pairs' ratios.
 * On the AMD EPYC host the processes started last served faster in every arm (2026-12-02,
 * docs/plugin-gap.md), so an unpaired ratio would carry that spread into its error. The standard
 * error comes from the spread of the pairs' log ratios, so it says how far apart two builds must
 * measure before the run can tell them apart.
 *
 * @module
 */
import { geometricMean, mean, median, sampleSd } from './stats.js'

/** The two builds: this checkout, and the revision it is compared with. */
export type Build = 'this' | 'other'

/** One server process's slices, in cycle order: every process has one slice per cycle. */
export interface ServerSlices {
  readonly build: Build
  readonly variant: string
  readonly requestsPerSec: readonly number[]
  readonly cpuMicrosPerRequest: readonly number[]
}

/** A mean over processes, with the standard deviation of those processes. */
export interface Spread {
  /** Each process's figure, in the order the processes started. */
  readonly values: readonly number[]
  readonly mean: number
  /** Sample standard deviation ÷ mean (NaN with one process). */
  readonly relativeSd: number
}

/** One build's servers of one variant. */
export interface ArmSummary {
  readonly build: Build
  readonly variant: string
  /** Each process's median req/s over its slices (absolute, for the reader). */
  readonly requestsPerSec: readonly number[]
  /** req/s relative to the cycle's geometric mean, over the arm's processes. */
  readonly relativeRequestsPerSec: Spread
  /** Server CPU µs per request relative to the cycle's geometric mean, over the arm's processes. */
  readonly relativeCpuPerRequest: Spread
  /** Each process's median server CPU µs per request. */
  readonly cpuMicrosPerRequest: readonly number[]
}

/** other ÷ this over the pairs of processes, and its standard error (NaN with fewer than two pairs). */
export interface Estimate {
  readonly ratio: number
  readonly standardError: number
}

/** The two builds compared on one variant. */
export interface BuildRatio {
  readonly variant: string
  /** Above 1× the other build serves more. */
  readonly requestsPerSec: Estimate
  /** Above 1× the other build spends more CPU per request. */
  readonly cpuMicrosPerRequest: Estimate
}

/** Every arm, in the order of their first process in `servers`, and one ratio per variant that both builds ran. */
export function compareBuilds(servers: readonly ServerSlices[]): { arms: ArmSummary[]; ratios: BuildRatio[] } {
  const cycles = Math.min(...servers.map((s) => Math.min(s.requestsPerSec.length, s.cpuMicrosPerRequest.length)))
  if (servers.length === 0 || !(cycles > 0)) throw new Error('compareBuilds: no slices')
  const relativeRps = relativeToCycle(servers.map((s) => s.requestsPerSec), cycles)
  const relativeCpu = relativeToCycle(servers.map((s) => s.cpuMicrosPerRequest), cycles)

  const arms: ArmSummary[] = []
  const keys = [...new Set(servers.map((s) => armKey(s.build, s.variant)))]
  for (const key of keys) {
    const members = servers.flatMap((s, i) => (armKey(s.build, s.variant) === key ? [i] : []))
    const first = servers[members[0] as number] as ServerSlices
    arms.push({
      build: first.build,
      variant: first.variant,
      requestsPerSec: members.map((i) => median((servers[i] as ServerSlices).requestsPerSec.slice(0, cycles))),
      relativeRequestsPerSec: spreadOf(members.map((i) => median(relativeRps[i] as number[]))),
      relativeCpuPerRequest: spreadOf(members.map((i) => median(relativeCpu[i] as number[]))),
      cpuMicrosPerRequest: members.map((i) => median((servers[i] as ServerSlices).cpuMicrosPerRequest.slice(0, cycles))),
    })
  }

  const ratios: BuildRatio[] = []
  for (const variant of new Set(arms.map((arm) => arm.variant))) {
    const mine = arms.find((arm) => arm.build === 'this' && arm.variant === variant)
    const theirs = arms.find((arm) => arm.build === 'other' && arm.variant === variant)
    if (mine === undefined || theirs === undefined) continue
    ratios.push({
      variant,
      requestsPerSec: ratioOverPairs(theirs.relativeRequestsPerSec.values, mine.relativeRequestsPerSec.values),
      cpuMicrosPerRequest: ratioOverPairs(theirs.relativeCpuPerRequest.values, mine.relativeCpuPerRequest.values),
    })
  }
  return { arms, ratios }
}

/**
 * Whether a run tells the builds apart on `estimate`: the ratio lies more than two standard errors
 * from 1× (about 95 % confidence for a normal spread). Never with no standard error (one process a side).
 */
export function toldApart(estimate: Estimate): boolean {
  return Math.abs(estimate.ratio - 1) > 2 * estimate.standardError
}

const armKey = (build: Build, variant: string): string => `${build}\u0000${variant}`

/** Each value ÷ the geometric mean of every series' value in the same cycle. */
function relativeToCycle(series: ReadonlyArray<readonly number[]>, cycles: number): number[][] {
  const cycleMeans = Array.from({ length: cycles }, (_, cycle) => geometricMean(series.map((values) => values[cycle] as number)))
  return series.map((values) => cycleMeans.map((cycleMean, cycle) => (values[cycle] as number) / cycleMean))
}

function spreadOf(values: readonly number[]): Spread {
  const m = mean(values)
  return { values, mean: m, relativeSd: sampleSd(values) / m }
}

/**
 * The geometric mean of `numerators[k] ÷ denominators[k]` over the pairs both have; its standard
 * error from the log ratios' spread. (Not report-http.ts's `pairedRatio`, which pairs slices of
 * one cycle against a baseline run.)
 */
function ratioOverPairs(numerators: readonly number[], denominators: readonly number[]): Estimate {
  const pairs = Math.min(numerators.length, denominators.length)
  const logs = Array.from({ length: pairs }, (_, k) => Math.log((numerators[k] as number) / (denominators[k] as number)))
  const ratio = Math.exp(mean(logs))
  return { ratio, standardError: (ratio * sampleSd(logs)) / Math.sqrt(pairs) }
}
