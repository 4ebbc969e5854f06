import { describe, expect, it } from 'vitest'
import type { HttpResult, HttpSlot, HttpVariantRun } from '../src/http-load.js'
import type { Framework } from '../src/http-server.js'
import { HTTP_FRAMEWORKS, httpTargets, summarizeHttp, whyNotJudged } from '../src/report-http.js'
import { status, verdictLines, type RunRecord, type Target } from '../src/report.js'
import { metric } from '../src/stats.js'

const CYCLES = 6

/** A variant's slices, every cycle at `rps` req/s. */
function slices(rps: number): HttpVariantRun {
  const each = Array.from({ length: CYCLES }, () => rps)
  return { requestsPerSec: each, serverCpuMicrosPerRequest: each.map(() => 13), serverCpu: each.map(() => 1), loadCpu: each.map(() => 0.8), failed: 0, served: 1, tokens: 1 }
}

/**
 * One run of each framework: the first no-token server at 10,000 req/s, its twin at `aa` of that,
 * and both keyless servers at `keyless` of the no-token servers' geometric mean.
 */
function run(index: number, aa: number, keyless: number, slots: readonly HttpSlot[] = ['none', 'none-again', 'keyless', 'keyless-again']): RunRecord[] {
  const none = 10_000
  const rps: Partial<Record<HttpSlot, number>> = { none, 'none-again': none * aa, keyless: keyless * none * Math.sqrt(aa), 'keyless-again': keyless * none * Math.sqrt(aa) }
  return HTTP_FRAMEWORKS.map((framework: Framework) => {
    const result: HttpResult = {
      kind: 'http',
      frameworkVersion: '5.0.0',
      cycles: CYCLES,
      sliceSec: 1,
      upstreamDuringLoad: 0,
      settleFullGcs: 2,
      variants: Object.fromEntries(slots.map((slot) => [slot, slices(rps[slot] as number)])),
    }
    return { task: { kind: 'http', framework, run: index, quick: false }, execArgv: [], result }
  })
}

const fastifyTarget = (records: RunRecord[]): Target => httpTargets(summarizeHttp(records)).find((t) => t.id === 'fastify-overhead') as Target

describe('judging the plugin-overhead target by its A/A control', () => {
  it('judges a run whose two no-token servers agree within the margin: a miss is a miss', () => {
    // The Intel run of 2026-12-01: A/A runs 0.996×, 0.998×, 1.010×; keyless 0.96997×.
    const target = fastifyTarget([...run(0, 0.996, 0.96997), ...run(1, 0.998, 0.96997), ...run(2, 1.01, 0.96997)])
    expect(target.notJudged).toBeUndefined()
    expect(target.met).toBe(false)
    expect(status(target)).toBe('**MISSED**')
    expect(target.value).toBe('0.96997×')
  })

  it('judges the spread it is given room for: A/A runs 6 points apart, keyless met', () => {
    // Express that morning: A/A runs 1.032×, 0.985×, 0.982×.
    const target = fastifyTarget([...run(0, 1.032, 0.986), ...run(1, 0.985, 0.986), ...run(2, 0.982, 0.986)])
    expect(target.notJudged).toBeUndefined()
    expect(status(target)).toBe('met')
  })

  it('does not judge a run whose twin servers span more than the margin on either side, met or missed', () => {
    // The AMD EPYC host of 2026-12-01 23:10: A/A runs 1.142×, 0.988×, 0.932×.
    for (const keyless of [0.99, 0.936]) {
      const target = fastifyTarget([...run(0, 1.142, keyless), ...run(1, 0.988, keyless), ...run(2, 0.932, keyless)])
      expect(target.notJudged).toMatch(/0\.932×–1\.142×/)
      expect(status(target)).toBe('not judged')
    }
  })

  it('does not judge a run whose twin servers differ by more than the margin in the median', () => {
    const target = fastifyTarget([...run(0, 0.955, 0.99), ...run(1, 0.96, 0.99), ...run(2, 0.958, 0.99)])
    expect(target.notJudged).toMatch(/0\.958× of each other/)
  })

  it('does not judge results without an A/A control', () => {
    const target = fastifyTarget([...run(0, 1, 0.99, ['none', 'keyless'])])
    expect(target.notJudged).toMatch(/did not run/)
    expect(status(target)).toBe('not judged')
  })

  it('puts the boundary at the margin: 3 % from 1× in the median, 6 points across the runs', () => {
    expect(whyNotJudged(metric([0.971, 0.971, 0.971]))).toBeUndefined()
    expect(whyNotJudged(metric([0.969, 0.969, 0.969]))).toBeDefined()
    expect(whyNotJudged(metric([0.975, 1, 1.034]))).toBeUndefined()
    expect(whyNotJudged(metric([0.97, 1, 1.035]))).toBeDefined()
    expect(whyNotJudged(undefined)).toBeDefined()
    expect(whyNotJudged(metric([Number.NaN]))).toBeDefined()
  })
})

describe('the verdict under the tables', () => {
  const target = (id: Target['id'], met: boolean, notJudged?: string): Target => ({
    id,
    metric: id,
    target: '≥ 0.97×',
    value: '0.950×',
    met,
    ...(notJudged === undefined ? {} : { notJudged }),
  })

  it('counts a target not judged as neither met nor missed, and says why', () => {
    const lines = verdictLines([target('express-overhead', true), target('fastify-overhead', false), target('scope-scaling', true, 'noise')], 0)
    expect(lines).toEqual([
      'Targets met: 1 of 3 (1 not judged in this run).',
      'MISSED: fastify-overhead = 0.950× (target ≥ 0.97×).',
      'NOT JUDGED: scope-scaling = 0.950× (target ≥ 0.97×): noise.',
    ])
  })

  it('reports failed scenario processes beside a target not judged, which is not listed as missed', () => {
    const lines = verdictLines([target('fastify-overhead', false, 'noise')], 1)
    expect(lines[0]).toBe('Targets met: 0 of 1 (1 not judged in this run). 1 scenario process(es) FAILED (see below).')
    expect(lines.some((line) => line.startsWith('MISSED'))).toBe(false)
  })

  it('keeps the old lines when every target was judged', () => {
    expect(verdictLines([target('express-overhead', true), target('fastify-overhead', true)], 0)).toEqual(['Targets met: 2 of 2.'])
  })
})
