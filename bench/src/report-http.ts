/**
 * The plugin-overhead part of the report: requests/s per framework and variant, the ratios paired
 * by cycle, the keyless ÷ no-token target, the A/A control (two identical no-token servers) that
 * shows the noise floor, and the checks that say whether the figures can be trusted.
 *
 * @module
 */
import { num, percent, perRun, ratio, ratio3, spread } from './format.js'
import type { HttpResult, HttpSlot, HttpVariantRun } from './http-load.js'
import type { Framework } from './http-server.js'
import type { RunRecord, Target } from './report.js'
import { median, metric, sum, type Metric } from './stats.js'

/** Frameworks in their base order (run.ts rotates it from run to run). */
export const HTTP_FRAMEWORKS = ['express', 'fastify'] as const satisfies readonly Framework[]
/** Every slot, in report order; a framework runs the ones http-load.ts lists for it. */
const VARIANTS = ['none', 'none-again', 'connected', 'outbound', 'await', 'decorated', 'keyless', 'keyless-again', 'keyless-middleware', 'azure', 'switch-off', 'switch-on'] as const satisfies readonly HttpSlot[]
/** keyless req/s ÷ no-token req/s (paired by cycle) must be at least this, per framework. */
export const HTTP_OVERHEAD_TARGET = 0.97

/** One framework and variant over all runs; each run's figure is the median over its slices. */
export interface HttpSlotSummary {
  requestsPerSec: Metric
  serverCpuMicrosPerRequest: Metric
  /** Cores used during the slices: the server process, and autocannon's process. */
  serverCpu: Metric
  loadCpu: Metric
  /**
   * Per run: the median over cycles of this variant's req/s ÷ the no-token req/s of the same cycle
   * (the geometric mean of the two no-token servers, `none` and `none-again`). For `none-again`
   * itself: ÷ `none` alone, the A/A control.
   */
  vsNone: Metric
  /** Sums over runs. */
  failed: number
  served: number
  tokens: number
}
/** Per framework: its installed version, the load shape, and each variant it ran. */
export type HttpSummary = Record<
  Framework,
  {
    version: string
    cycles: number
    sliceSec: number
    upstreamDuringLoad: number
    /** The fewest full GCs any server of any run ran before its cycles (`settle` in http-load.js). */
    settleFullGcs: number
    variants: Partial<Record<HttpSlot, HttpSlotSummary>>
    /** Per run: the median over cycles of `switch-on` ÷ `switch-off` req/s: keyless's call alone, in one process. */
    callAlone: Metric | undefined
    /**
     * Per run: keyless ÷ the `outbound` server (paired by cycle; the geometric mean over the two
     * keyless servers): keyless against a process that has already made an outbound request.
     * Informational; the target keeps the pristine no-token baseline.
     */
    vsOutbound: Metric | undefined
    /**
     * Per run: keyless ÷ no token, the target's figure: the geometric mean of the two keyless
     * servers' paired ratios (`keyless` alone in results that have no `keyless-again`).
     */
    overhead: Metric
  }
>

const FRAMEWORK_LABELS: Record<Framework, string> = { express: 'Express', fastify: 'Fastify' }
const VARIANT_NAMES: Record<Framework, Record<HttpSlot, string>> = {
  express: {
    none: 'no token',
    'none-again': 'no token, a second server (A/A control)',
    connected: 'no token, holding a keyless provider after its start-up fetch',
    outbound: 'no token, after one outbound undici request at start-up',
    await: 'no token, `await` of a settled promise',
    decorated: 'n/a',
    keyless: 'keyless `bindKeyless(app)` + `await requestToken(req, scope)`',
    'keyless-again': 'keyless as above, a second server',
    'keyless-middleware': 'keyless `app.use(keyless())` + `await requestToken(req, scope)`',
    azure: '@azure/identity `await credential.getToken(scope)`',
    'switch-off': 'keyless bound, the route awaiting a settled promise instead (same process as the next)',
    'switch-on': 'keyless bound, the route awaiting `requestToken(req, scope)` (same process as the previous)',
  },
  fastify: {
    none: 'no token',
    'none-again': 'no token, a second server (A/A control)',
    connected: 'no token, holding a keyless provider after its start-up fetch',
    outbound: 'no token, after one outbound undici request at start-up',
    await: 'no token, `await` of a settled promise',
    decorated: 'no token, `await` of a settled promise, and a request decorator nobody calls',
    keyless: 'keyless plugin `await request.getToken(scope)`',
    'keyless-again': 'keyless as above, a second server',
    'keyless-middleware': 'n/a',
    azure: '@azure/identity `await credential.getToken(scope)`',
    'switch-off': 'plugin registered, the route awaiting a settled promise instead (same process as the next)',
    'switch-on': 'plugin registered, the route awaiting `request.getToken(scope)` (same process as the previous)',
  },
}

/**
 * A plugin ratio beside its target: three decimals, or as many more (up to six) as it takes for
 * the figure shown to fall on the same side of the target as the ratio itself. 0.96997 is shown
 * as 0.96997×, not as a 0.970× that reads as met.
 */
const ratioAgainstTarget = (value: number): string => {
  if (!Number.isFinite(value)) return '—'
  let digits = 3
  while (digits < 6 && Number(value.toFixed(digits)) >= HTTP_OVERHEAD_TARGET !== value >= HTTP_OVERHEAD_TARGET) digits++
  return `${value.toFixed(digits)}×`
}
/** ` (runs a, b, c)` for a per-run metric, or nothing when the variant did not run. */
const runsIn = (m: Metric | undefined): string => (m === undefined ? '' : ` (runs ${m.runs.map(ratio3).join(', ')})`)

/**
 * A figure of a variant that runs as two server processes: the geometric mean of both, or the
 * first alone when the second did not run (`--quick`, results from before it existed).
 */
export const ofTwoServers = (first: number, second: number | undefined): number => (second === undefined ? first : Math.sqrt(first * second))

/** The median over cycles of `run`'s req/s ÷ `base`'s req/s in the same cycle. */
export function pairedRatio(run: Pick<HttpVariantRun, 'requestsPerSec'> | undefined, base: Pick<HttpVariantRun, 'requestsPerSec'> | undefined): number {
  if (run === undefined || base === undefined) return Number.NaN
  return median(run.requestsPerSec.map((rps, cycle) => rps / (base.requestsPerSec[cycle] ?? Number.NaN)).filter(Number.isFinite))
}

/**
 * The median over cycles of `variant`'s req/s ÷ the no-token req/s in the same cycle. The no-token
 * figure is the geometric mean of both no-token servers: two processes of the same code measure a
 * few % apart (the A/A control), and one alone would hand its luck to every ratio. `none-again`
 * is divided by `none` alone: that is the A/A figure.
 */
function pairedVsNone(result: HttpResult | undefined, variant: HttpSlot): number {
  const none = result?.variants.none
  const again = variant === 'none-again' ? undefined : result?.variants['none-again']
  const noToken =
    none === undefined || again === undefined
      ? none
      : { requestsPerSec: none.requestsPerSec.map((a, cycle) => ofTwoServers(a, again.requestsPerSec[cycle] ?? Number.NaN)) }
  return pairedRatio(result?.variants[variant], noToken)
}

/** Per framework and variant: the run figures (medians over slices) and the paired ratios. */
export function summarizeHttp(records: RunRecord[]): HttpSummary {
  const summary = {} as HttpSummary
  for (const framework of HTTP_FRAMEWORKS) {
    const runs = records
      .filter((r) => r.task.kind === 'http' && r.task.framework === framework)
      .sort((a, b) => a.task.run - b.task.run)
      .map((r) => r.result as HttpResult | undefined)
    const first = runs.find((r) => r !== undefined)
    const variants: Partial<Record<HttpSlot, HttpSlotSummary>> = {}
    for (const variant of VARIANTS) {
      if (!runs.some((r) => r?.variants[variant] !== undefined)) continue
      const of = (pick: (v: HttpVariantRun) => number[]): Metric =>
        metric(runs.map((r) => (r?.variants[variant] === undefined ? Number.NaN : median(pick(r.variants[variant])))))
      const totals = (pick: (v: HttpVariantRun) => number): number => sum(runs.map((r) => (r?.variants[variant] === undefined ? 0 : pick(r.variants[variant]))))
      variants[variant] = {
        requestsPerSec: of((v) => v.requestsPerSec),
        serverCpuMicrosPerRequest: of((v) => v.serverCpuMicrosPerRequest),
        serverCpu: of((v) => v.serverCpu),
        loadCpu: of((v) => v.loadCpu),
        vsNone: metric(runs.map((r) => pairedVsNone(r, variant))),
        failed: totals((v) => v.failed),
        served: totals((v) => v.served),
        tokens: totals((v) => v.tokens),
      }
    }
    const callAlone = runs.some((r) => r?.variants['switch-on'] !== undefined)
      ? metric(runs.map((r) => pairedRatio(r?.variants['switch-on'], r?.variants['switch-off'])))
      : undefined
    const vsOutbound = runs.some((r) => r?.variants.outbound !== undefined)
      ? metric(runs.map((r) => ofKeylessServers(r, (variant) => pairedRatio(r?.variants[variant], r?.variants.outbound))))
      : undefined
    const overhead = metric(runs.map((r) => ofKeylessServers(r, (variant) => pairedVsNone(r, variant))))
    summary[framework] = {
      callAlone,
      vsOutbound,
      overhead,
      version: first?.frameworkVersion ?? '?',
      cycles: first?.cycles ?? 0,
      sliceSec: first?.sliceSec ?? 0,
      upstreamDuringLoad: sum(runs.map((r) => r?.upstreamDuringLoad ?? 0)),
      // Results written before the settle step have no count: 0, as for a server that ran none.
      settleFullGcs: Math.min(...runs.map((r) => r?.settleFullGcs ?? 0)),
      variants,
    }
  }
  return summary
}

const nameOf = (http: HttpSummary, framework: Framework): string => `${FRAMEWORK_LABELS[framework]} ${http[framework].version}`
const overhead = (http: HttpSummary, framework: Framework): number => http[framework].overhead.median

/**
 * One target per framework: keyless ÷ no-token requests/s, paired by cycle, ≥ {@link HTTP_OVERHEAD_TARGET};
 * both sides are two server processes (geometric means), so that neither hands its own luck to the figure.
 */
export function httpTargets(http: HttpSummary): Target[] {
  return HTTP_FRAMEWORKS.map((framework) => {
    const value = overhead(http, framework)
    const notJudged = whyNotJudged(http[framework].variants['none-again']?.vsNone)
    return {
      id: `${framework}-overhead` as const,
      metric: `${nameOf(http, framework)} requests/s, keyless ÷ no token`,
      target: `≥ ${HTTP_OVERHEAD_TARGET}×`,
      value: ratioAgainstTarget(value),
      met: value >= HTTP_OVERHEAD_TARGET,
      ...(notJudged === undefined ? {} : { notJudged }),
    }
  })
}

/**
 * Why a run cannot judge the plugin target, read off its A/A control (two no-token servers of the
 * same code, each run's figure the median over cycles of their paired ratio), or `undefined` when
 * it can. The target's margin is 3 % (0.97×). A run can judge it when the control stays inside
 * that margin: its median within 3 % of 1×, and its runs no further apart than the margin on
 * either side (6 points from lowest to highest). Outside that, two identical servers differ by as
 * much as the margin, so a keyless ratio on either side of 0.97× may be the host's noise: the
 * report says "not judged" rather than met or missed. The target's own figure varies less than the
 * control (each of its sides is the geometric mean of two servers), so the rule is a cautious one.
 */
export function whyNotJudged(aa: Metric | undefined): string | undefined {
  const margin = 1 - HTTP_OVERHEAD_TARGET
  if (aa === undefined || !Number.isFinite(aa.median)) return 'the A/A control did not run, so the noise of this host is unknown'
  if (Math.abs(aa.median - 1) > margin) {
    return `two identical no-token servers measured ${ratio3(aa.median)} of each other (A/A), more than the ${percent(margin)} margin`
  }
  if (aa.max - aa.min > 2 * margin) {
    return `two identical no-token servers measured ${ratio3(aa.min)}–${ratio3(aa.max)} of each other over the runs (A/A), wider than the ${percent(margin)} margin on either side`
  }
  return undefined
}

/** keyless's req/s: the geometric mean of the two keyless servers' medians (the first alone when there is one). */
function keylessRequestsPerSec(http: HttpSummary, framework: Framework): number {
  const v = http[framework].variants
  return ofTwoServers(v.keyless?.requestsPerSec.median ?? Number.NaN, v['keyless-again']?.requestsPerSec.median)
}

/** The plugin-overhead table: one row per framework. */
export function renderHttpTable(http: HttpSummary, status: (id: Target['id']) => string): string[] {
  const lines = [
    '| Plugin overhead: requests/s, 10 connections | no token | same, second server (A/A) | no token, one `await` | keyless (two servers) | keyless as a middleware | @azure/identity | ' +
      'keyless ÷ no token | keyless call alone (same process) | A/A: second ÷ first no-token server | keyless ÷ @azure/identity | Target | Status |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ]
  for (const framework of HTTP_FRAMEWORKS) {
    const v = http[framework].variants
    const rps = (variant: HttpSlot): string => num(v[variant]?.requestsPerSec.median ?? Number.NaN)
    const keylessRps = keylessRequestsPerSec(http, framework)
    lines.push(
      `| ${nameOf(http, framework)}, \`GET\` small JSON, token on every request | ${rps('none')} | ${rps('none-again')} | ${rps('await')} | ${num(keylessRps)} | ` +
        `${framework === 'fastify' ? 'n/a' : rps('keyless-middleware')} | ${rps('azure')} | ${ratioAgainstTarget(overhead(http, framework))} | ` +
        `${ratio3(http[framework].callAlone?.median ?? Number.NaN)} | ` +
        `${ratio3(v['none-again']?.vsNone.median ?? Number.NaN)} | ` +
        `${ratio(keylessRps / (v.azure?.requestsPerSec.median ?? Number.NaN))} | ` +
        `≥ ${HTTP_OVERHEAD_TARGET}× no token | ${status(`${framework}-overhead`)} |`,
    )
  }
  return lines
}

/** Rows of the "Details" table. */
export function renderHttpDetails(http: HttpSummary): string[] {
  const lines: string[] = []
  for (const framework of HTTP_FRAMEWORKS) {
    for (const variant of VARIANTS) {
      const v = http[framework].variants[variant]
      if (v === undefined) continue
      const name = `${nameOf(http, framework)}, ${VARIANT_NAMES[framework][variant]}`
      lines.push(`| HTTP requests/s (median of a run's slices) | ${name} | ${spread(v.requestsPerSec)} | ${perRun(v.requestsPerSec)} |`)
      lines.push(`| HTTP server CPU µs per request | ${name} | ${spread(v.serverCpuMicrosPerRequest)} | ${perRun(v.serverCpuMicrosPerRequest)} |`)
      if (variant !== 'none') {
        const ratios = v.vsNone
        const what = variant === 'none-again' ? 'HTTP req/s ÷ the first no-token server (A/A), paired by cycle' : 'HTTP req/s ÷ no token, paired by cycle'
        lines.push(
          `| ${what} | ${name} | ${ratio3(ratios.median)} (${ratio3(ratios.min)}–${ratio3(ratios.max)}) | ${ratios.runs.map(ratio3).join(', ')} |`,
        )
      }
    }
  }
  return lines
}

/**
 * A paired ratio of keyless in one run: `ratioOf` for both keyless servers, as {@link ofTwoServers}
 * combines them (`keyless` alone in results that have no `keyless-again`).
 */
function ofKeylessServers(result: HttpResult | undefined, ratioOf: (variant: 'keyless' | 'keyless-again') => number): number {
  return ofTwoServers(ratioOf('keyless'), result?.variants['keyless-again'] === undefined ? undefined : ratioOf('keyless-again'))
}

/** Lines of the "Checks" list. */
export function renderHttpChecks(http: HttpSummary): string[] {
  const present = (framework: Framework): [HttpSlot, HttpSlotSummary][] =>
    VARIANTS.flatMap((variant) => {
      const v = http[framework].variants[variant]
      return v === undefined ? [] : [[variant, v] as [HttpSlot, HttpSlotSummary]]
    })
  const each = (pick: (v: HttpSlotSummary) => string): string =>
    HTTP_FRAMEWORKS.flatMap((framework) => present(framework).map(([variant, v]) => `${framework} ${variant} ${pick(v)}`)).join(', ')
  const all = HTTP_FRAMEWORKS.flatMap((framework) => present(framework).map(([, v]) => v))
  const upstream = sum(HTTP_FRAMEWORKS.map((framework) => http[framework].upstreamDuringLoad))
  const failed = sum(all.map((v) => v.failed))
  const tokenVariants = HTTP_FRAMEWORKS.flatMap((framework) =>
    present(framework)
      .filter(([variant]) => variant === 'keyless' || variant === 'keyless-again' || variant === 'keyless-middleware' || variant === 'switch-on' || variant === 'azure')
      .map(([variant, v]) => ({ framework, variant, v })),
  )
  const tokensMatch = tokenVariants.every(({ v }) => v.tokens === v.served && v.served > 0)
  const shape = HTTP_FRAMEWORKS.map((f) => `${f}: ${http[f].cycles} cycles of ${http[f].sliceSec} s slices per run`).join('; ')
  const lines = [
    `- Plugin overhead, method: one server process per variant, started one at a time (the order rotating by run) and warmed as soon as it listens; ` +
      `then every server is settled: ${Math.min(...HTTP_FRAMEWORKS.map((f) => http[f].settleFullGcs))} full GCs (at least, in every server), run when no nextTick callback is queued, and a second warm-up, ` +
      'so that no server is measured in the faster state of a process that has not run a full GC yet (docs/benchmarks.md, "Start-up history"); ' +
      `then the load moves from one to the next in slices whose order rotates by cycle (${shape}); ` +
      'a ratio divides a slice by the no-token figure of the same cycle (the geometric mean of the two no-token servers), and the run takes the median over cycles.',
    `- Plugin overhead, start-up history (not run with --quick): a no-token server holding a keyless provider that made the token variants' start-up fetch (no plugin, no call per request) measured ` +
      `${HTTP_FRAMEWORKS.map((f) => {
        const m = http[f].variants.connected?.vsNone
        return `${ratio3(m?.median ?? Number.NaN)} of the no-token servers that made none on ${FRAMEWORK_LABELS[f]}${runsIn(m)}`
      }).join(', ')}.`,
    `- Plugin overhead, against a process that has made an outbound request (informational, not run with --quick; the target keeps the no-token baseline): ` +
      'a no-token server that sent one undici request to the emulator at start-up measured ' +
      `${HTTP_FRAMEWORKS.map((f) => {
        const m = http[f].variants.outbound?.vsNone
        const k = http[f].vsOutbound
        return `${ratio3(m?.median ?? Number.NaN)} of the no-token servers on ${FRAMEWORK_LABELS[f]}${runsIn(m)}, ` +
          `and keyless ${ratio3(k?.median ?? Number.NaN)} of it${runsIn(k)}`
      }).join('; ')}. ` +
      'A service that loads any HTTP client has made such a request before it adds keyless (docs/benchmarks.md, "Why those loads are megamorphic").',
    `- Plugin overhead, the two keyless servers (the target takes the geometric mean of both): the second measured ` +
      `${HTTP_FRAMEWORKS.map((f) => {
        const v = http[f].variants
        const first = v.keyless?.vsNone
        const second = v['keyless-again']?.vsNone
        return `${ratio3(second?.median ?? Number.NaN)} of no token against the first's ${ratio3(first?.median ?? Number.NaN)} on ${FRAMEWORK_LABELS[f]}` +
          `${second === undefined || first === undefined ? '' : ` (runs ${second.runs.map(ratio3).join(', ')} against ${first.runs.map(ratio3).join(', ')})`}`
      }).join(', ')}.`,
    `- Plugin overhead, noise floor (A/A): a second no-token server, identical code in another process, measured ` +
      `${HTTP_FRAMEWORKS.map((f) => `${ratio3(http[f].variants['none-again']?.vsNone.median ?? Number.NaN)} of the first on ${FRAMEWORK_LABELS[f]} (runs ${http[f].variants['none-again']?.vsNone.runs.map(ratio3).join(', ') ?? '—'})`).join(', ')}: ` +
      'a difference of that size between two variants is noise, not cost.',
    `- Plugin overhead, keyless's call alone (not run with --quick): in one server process with keyless bound, the route switched between awaiting a settled promise and awaiting the token, ` +
      `slice by slice, the two slices back to back in an order that flips every other cycle: req/s with the call ÷ without ${HTTP_FRAMEWORKS.map((f) => {
        const m = http[f].callAlone
        return `${ratio3(m?.median ?? Number.NaN)} on ${FRAMEWORK_LABELS[f]}${runsIn(m)}`
      }).join(', ')}. ` +
      'On the AMD host a process measured faster in its second slice in a row than in its first in most cycles; results from before 2026-12-03 ' +
      'always ran the slice with the call second, so their figure may flatter the call (docs/plugin-gap.md, "The order of the switched server\'s slices").',
    `- Plugin overhead: token requests the emulator saw while autocannon ran (warm-up loads included; each server's start-up request came before its load): ${upstream}` +
      `${upstream === 0 ? ' (every request under load was served from the cache)' : ' (NOT all cache hits!)'}.`,
    `- Plugin overhead: failed requests (errors, timeouts, resets, non-2xx), over all runs: ${failed}${failed === 0 ? '' : ' (the req/s figures count 2xx only)'}.`,
    `- Plugin overhead: tokens the handlers got = handler runs in every token variant: ${tokensMatch ? 'yes' : 'NO'} ` +
      `(${tokenVariants.map(({ framework, variant, v }) => `${framework} ${variant} ${num(v.tokens)}/${num(v.served)}`).join('; ')}).`,
    `- Plugin overhead, who is the bottleneck: median cores used by the server process ${each((v) => v.serverCpu.median.toFixed(2))}; ` +
      `by autocannon's process ${each((v) => v.loadCpu.median.toFixed(2))}. A server near 1.00 is saturated, so req/s measures the server, not the load generator.`,
  ]
  for (const framework of HTTP_FRAMEWORKS) {
    const v = http[framework].variants
    const cpu = (variant: HttpSlot): number => v[variant]?.serverCpuMicrosPerRequest.median ?? Number.NaN
    const none = cpu('none')
    const keyless = cpu('keyless')
    lines.push(
      `- Plugin overhead, ${nameOf(http, framework)} server CPU per request: no token ${num(none)} µs, second no-token server ${num(cpu('none-again'))} µs, ` +
        `one \`await\` ${num(cpu('await'))} µs${v.decorated === undefined ? '' : `, the same with a request decorator nobody calls ${num(cpu('decorated'))} µs (req/s ÷ no token ${ratio3(v.decorated.vsNone.median)})`}, ` +
        `keyless ${num(keyless)} µs (${keyless >= none ? '+' : ''}${num(keyless - none)} µs)` +
        `${v['keyless-middleware'] === undefined ? '' : `, keyless as a middleware ${num(cpu('keyless-middleware'))} µs`}, @azure/identity ${num(cpu('azure'))} µs ` +
        '(informational: the target uses req/s).',
    )
  }
  return lines
}
