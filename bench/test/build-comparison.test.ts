import { describe, expect, it } from 'vitest'
import { compareBuilds, toldApart, type Build, type ServerSlices } from '../src/build-comparison.js'

/** A server whose every slice is `rps` req/s at `cpu` µs per request, times the cycle's host speed. */
function server(build: Build, variant: string, rps: number, cpu: number, hostSpeed: readonly number[]): ServerSlices {
  return { build, variant, requestsPerSec: hostSpeed.map((speed) => rps * speed), cpuMicrosPerRequest: hostSpeed.map((speed) => cpu / speed) }
}

describe('comparing two builds in one run', () => {
  it('reads the ratio of the builds, whatever the host did from one cycle to the next', () => {
    const host = [1, 0.6, 1.3, 0.9]
    const { ratios, arms } = compareBuilds([
      server('this', 'keyless', 1000, 20, host),
      server('other', 'keyless', 1050, 19, host),
      server('this', 'keyless', 1000, 20, host),
      server('other', 'keyless', 1050, 19, host),
    ])
    expect(ratios).toHaveLength(1)
    expect(ratios[0]?.variant).toBe('keyless')
    expect(ratios[0]?.requestsPerSec.ratio).toBeCloseTo(1.05, 10)
    expect(ratios[0]?.cpuMicrosPerRequest.ratio).toBeCloseTo(0.95, 10)
    // Identical processes: no spread, so no standard error.
    expect(ratios[0]?.requestsPerSec.standardError).toBeCloseTo(0, 10)
    expect(arms.map((arm) => [arm.build, arm.variant, arm.requestsPerSec])).toEqual([
      ['this', 'keyless', [1000 * 0.95, 1000 * 0.95]],
      ['other', 'keyless', [1050 * 0.95, 1050 * 0.95]],
    ])
  })

  it('pairs the k-th process of each build, so that what moves both of a pair cancels', () => {
    const host = [1, 1, 1]
    // Processes started later serve faster (as on the AMD EPYC host); the other build is 2 % ahead in every pair.
    const { ratios, arms } = compareBuilds([
      server('this', 'connected', 900, 20, host),
      server('other', 'connected', 918, 20, host),
      server('other', 'connected', 1122, 20, host),
      server('this', 'connected', 1100, 20, host),
    ])
    const mine = arms.find((arm) => arm.build === 'this')
    // The arm's own spread keeps the difference between its processes: 900/g and 1100/g, sd ÷ mean = 0.2/√2.
    expect(mine?.relativeRequestsPerSec.relativeSd).toBeCloseTo(0.2 / Math.SQRT2, 10)
    expect(ratios[0]?.requestsPerSec.ratio).toBeCloseTo(1.02, 10)
    expect(ratios[0]?.requestsPerSec.standardError).toBeCloseTo(0, 10)
  })

  it('gives the ratio a standard error from the spread of the pairs’ ratios', () => {
    const host = [1, 1, 1]
    const { ratios } = compareBuilds([
      server('this', 'connected', 1000, 20, host),
      server('other', 'connected', 1100, 20, host),
      server('other', 'connected', 900, 20, host),
      server('this', 'connected', 1000, 20, host),
    ])
    const [up, down] = [Math.log(1.1), Math.log(0.9)]
    const ratio = Math.exp((up + down) / 2)
    const sd = Math.abs(up - down) / Math.SQRT2
    expect(ratios[0]?.requestsPerSec.ratio).toBeCloseTo(ratio, 10)
    expect(ratios[0]?.requestsPerSec.standardError).toBeCloseTo((ratio * sd) / Math.SQRT2, 10)
  })

  it('compares only variants that both builds ran, one ratio each', () => {
    const host = [1, 1]
    const { ratios } = compareBuilds([
      server('this', 'none', 1000, 10, host),
      server('this', 'keyless', 900, 11, host),
      server('other', 'keyless', 990, 10, host),
    ])
    expect(ratios.map((r) => r.variant)).toEqual(['keyless'])
    expect(ratios[0]?.requestsPerSec.ratio).toBeCloseTo(1.1, 10)
    expect(Number.isNaN(ratios[0]?.requestsPerSec.standardError)).toBe(true) // one process a side: no spread to judge by
  })

  it('refuses a run with no slices', () => {
    expect(() => compareBuilds([])).toThrow(/no slices/)
    expect(() => compareBuilds([server('this', 'none', 1, 1, [])])).toThrow(/no slices/)
  })

  it('tells the builds apart only beyond two standard errors, and never without one', () => {
    expect(toldApart({ ratio: 1.05, standardError: 0.02 })).toBe(true)
    expect(toldApart({ ratio: 0.95, standardError: 0.02 })).toBe(true)
    expect(toldApart({ ratio: 1.03, standardError: 0.02 })).toBe(false)
    expect(toldApart({ ratio: 1.05, standardError: Number.NaN })).toBe(false)
  })
})
