/**
 * Turns the runs' raw results into medians, ratios and target verdicts, and renders the report
 * (the same Markdown goes to stdout and `results/latest.md`).
 *
 * @module
 */
import type { HotAllocResult, HotTimeResult, ScalingResult, ScenarioResult, ScenarioTask } from './scenario.js'
import { num, perRun, ratio, spread } from './format.js'
import { httpTargets, renderHttpChecks, renderHttpDetails, renderHttpTable, summarizeHttp, type HttpSummary } from './report-http.js'
import {
  moreTargets,
  renderBurstTable,
  renderFailuresTable,
  renderMoreChecks,
  renderMoreDetails,
  renderMoreMainRows,
  renderResilienceTable,
  renderWiTable,
  summarizeMore,
  type MoreSummary,
} from './report-more.js'
import { metric, sum, type Metric } from './stats.js'
import { CONCURRENT_CALLERS, SCALING_SCOPES } from './constants.js'

export interface Settings {
  quick: boolean
  runs: number
}

/** One child process: what it was asked, and its result or error. */
export interface RunRecord {
  task: ScenarioTask
  execArgv: string[]
  result?: ScenarioResult
  error?: string
}

export interface Meta {
  date: string
  node: string
  v8: string
  platform: string
  cpu: string
  cores: number
  mode: string
  runs: number
  durationMs: number
  command: string
}

export interface Target {
  id:
    | 'hot-path-vs-floor'
    | 'hot-path-concurrent-vs-floor'
    | 'bytes-per-hit'
    | 'scope-scaling'
    | 'cold-burst-upstream'
    | 'refresh-slow-callers'
    | 'outage-served'
    | 'hang-deadline'
    | 'heap-per-request'
    | 'express-overhead'
    | 'fastify-overhead'
  metric: string
  target: string
  value: string
  met: boolean
  /**
   * Why this run cannot judge the target, when it cannot: its controls say the noise is as large
   * as the margin. `met` is then not a verdict, and the report says "not judged" instead.
   */
  notJudged?: string
}

const HOT_SUBJECTS = ['keyless', 'floor', 'azure', 'baseline'] as const
type HotSubject = (typeof HOT_SUBJECTS)[number]

export interface HotFigures {
  nsPerOp: Metric
  concurrentNsPerOp: Metric
  sequentialP50Ns: Metric
  sequentialP99Ns: Metric
  concurrentP50Ns: Metric
  concurrentP99Ns: Metric
  bytesPerHit: Metric
  allocSamples: number
  allocSamplesVoidedByGc: number
  upstreamDuringHits: number
}

export interface Summary {
  hot: Record<HotSubject, HotFigures>
  scaling: Record<
    'keyless' | 'floor',
    { byScopes: { scopes: number; nsPerOp: Metric; ratio: Metric }[]; warmUpstreamRequests: number[]; upstreamDuringHits: number; evictions: number }
  >
  more: MoreSummary
  http: HttpSummary
  targets: Target[]
  failures: string[]
}

function resultsOf<R extends ScenarioResult>(records: RunRecord[], kind: R['kind'], subject: string): (R | undefined)[] {
  return records
    .filter((r) => r.task.kind === kind && 'subject' in r.task && r.task.subject === subject)
    .sort((a, b) => a.task.run - b.task.run)
    .map((r) => r.result as R | undefined)
}

/** Medians, ratios and verdicts from every run's record. */
export function summarize(records: RunRecord[]): Summary {
  const hot = {} as Summary['hot']
  for (const subject of HOT_SUBJECTS) {
    const times = resultsOf<HotTimeResult>(records, 'hot-time', subject)
    const allocs = resultsOf<HotAllocResult>(records, 'hot-alloc', subject)
    const of = (pick: (r: HotTimeResult) => number): Metric => metric(times.map((r) => (r === undefined ? Number.NaN : pick(r))))
    hot[subject] = {
      nsPerOp: of((r) => r.nsPerOp),
      concurrentNsPerOp: of((r) => r.concurrentNsPerOp),
      sequentialP50Ns: of((r) => r.sequentialP50Ns),
      sequentialP99Ns: of((r) => r.sequentialP99Ns),
      concurrentP50Ns: of((r) => r.concurrentP50Ns),
      concurrentP99Ns: of((r) => r.concurrentP99Ns),
      bytesPerHit: metric(allocs.map((r) => r?.bytesPerHit ?? Number.NaN)),
      allocSamples: sum(allocs.map((r) => r?.samples.length ?? 0)),
      allocSamplesVoidedByGc: sum(allocs.map((r) => r?.samples.filter((s) => s.gcInLoop).length ?? 0)),
      upstreamDuringHits: sum([...times, ...allocs].map((r) => r?.upstreamDuringHits ?? 0)),
    }
  }
  const scaling = {} as Summary['scaling']
  for (const subject of ['keyless', 'floor'] as const) {
    const runs = resultsOf<ScalingResult>(records, 'scaling', subject)
    scaling[subject] = {
      byScopes: SCALING_SCOPES.map((scopes, k) => ({
        scopes,
        nsPerOp: metric(runs.map((r) => r?.byScopes[k]?.nsPerOp ?? Number.NaN)),
        ratio: metric(runs.map((r) => r?.byScopes[k]?.ratio ?? Number.NaN)),
      })),
      warmUpstreamRequests: runs.map((r) => r?.warmUpstreamRequests ?? Number.NaN),
      upstreamDuringHits: sum(runs.map((r) => r?.upstreamDuringHits ?? 0)),
      evictions: sum(runs.map((r) => r?.evictions ?? 0)),
    }
  }
  const hotRatio = hot.keyless.nsPerOp.median / hot.floor.nsPerOp.median
  const hotConcurrent = hot.keyless.concurrentNsPerOp.median / hot.floor.concurrentNsPerOp.median
  const bytes = hot.keyless.bytesPerHit.median
  const scale = lastScaling(scaling.keyless).ratio.median
  const more = summarizeMore(records)
  const targets: Target[] = [
    { id: 'hot-path-vs-floor', metric: 'hot path ns/op, sequential, keyless ÷ floor', target: '≤ 2×', value: ratio(hotRatio), met: hotRatio <= 2 },
    {
      id: 'hot-path-concurrent-vs-floor',
      metric: `hot path ns/op, ${CONCURRENT_CALLERS} concurrent callers, keyless ÷ floor`,
      target: '≤ 2×',
      value: ratio(hotConcurrent),
      met: hotConcurrent <= 2,
    },
    { id: 'bytes-per-hit', metric: 'heap bytes per hit, keyless', target: '≤ 300 B', value: `${num(bytes)} B`, met: bytes <= 300 },
    { id: 'scope-scaling', metric: 'hit ns/op, 1000 scopes ÷ 1 scope, keyless', target: '≤ 1.2×', value: ratio(scale), met: scale <= 1.2 },
    ...moreTargets(more),
  ]
  const http = summarizeHttp(records)
  targets.push(...httpTargets(http))
  const failures = records.flatMap((r) =>
    r.error === undefined ? [] : [`run ${r.task.run + 1} ${describeTask(r.task)}: ${r.error.split('\n')[0]}`],
  )
  return { hot, scaling, more, http, targets, failures }
}

const lastScaling = <T>(x: { byScopes: T[] }): T => x.byScopes[x.byScopes.length - 1] as T

/** A target's Status cell: met, **MISSED**, or not judged (its run's controls could not tell). */
export const status = (t: Target | undefined): string => (t === undefined ? '' : t.notJudged !== undefined ? 'not judged' : t.met ? 'met' : '**MISSED**')

/**
 * The verdict under the tables: how many targets were met, then the missed ones and the ones this
 * run could not judge, each with its figure (and why not judged). A target not judged counts as
 * neither met nor missed.
 */
export function verdictLines(targets: readonly Target[], failedProcesses: number): string[] {
  const judged = targets.filter((t) => t.notJudged === undefined)
  const notJudged = targets.filter((t) => t.notJudged !== undefined)
  const missed = judged.filter((t) => !t.met)
  const figure = (t: Target): string => `${t.metric} = ${t.value} (target ${t.target})`
  const lines = [
    `Targets met: ${judged.length - missed.length} of ${targets.length}` +
      (notJudged.length > 0 ? ` (${notJudged.length} not judged in this run).` : '.') +
      (failedProcesses > 0 ? ` ${failedProcesses} scenario process(es) FAILED (see below).` : ''),
  ]
  if (missed.length > 0) lines.push(`MISSED: ${missed.map(figure).join('; ')}.`)
  if (notJudged.length > 0) lines.push(`NOT JUDGED: ${notJudged.map((t) => `${figure(t)}: ${t.notJudged}`).join('; ')}.`)
  return lines
}

/** What a task measures, for logs and the report: `hot-time keyless`, `http express none`. */
export function describeTask(task: ScenarioTask): string {
  if (task.kind === 'http') return `http ${task.framework}`
  if (task.kind === 'burst') return `burst ${task.subject} ${task.scopes}x${1000 / task.scopes} @${task.latencyMs}ms`
  if (task.kind === 'outage') return `outage ${task.subject} ${task.fault}`
  if (task.kind === 'memory') return `memory ${task.subject} ${task.phase}`
  return `${task.kind} ${task.subject}`
}

/** The Markdown report. */
export function renderReport(meta: Meta, s: Summary): string {
  const target = (id: Target['id']): Target | undefined => s.targets.find((t) => t.id === id)
  const st = (id: Target['id']): string => status(target(id))
  const { hot, scaling } = s
  const k = hot.keyless
  const lines: string[] = []
  lines.push('# keyless benchmark')
  lines.push('')
  lines.push(
    `${meta.date} · Node ${meta.node} (V8 ${meta.v8}) · ${meta.cpu} · ${meta.cores} cores · ${meta.platform} · ` +
      `${meta.mode}: ${meta.runs} runs of the fast scenarios, 3 of the slow ones, each run its own process, medians shown · bench took ${(meta.durationMs / 1000).toFixed(1)} s`,
  )
  lines.push('')
  const hotRow = (label: string, pick: (f: HotFigures) => Metric, targetText: string, id?: Target['id']): string => {
    const kv = pick(k).median
    const fv = pick(hot.floor).median
    const av = pick(hot.azure).median
    return `| ${label} | ${num(kv)} | ${num(fv)} | ${num(av)} | ${ratio(kv / fv)} | ${ratio(kv / av)} | ${targetText} | ${id === undefined ? '—' : st(id)} |`
  }
  lines.push('## Hot path, scaling, memory, cold start')
  lines.push('')
  lines.push('| Metric | keyless | floor | @azure/identity | keyless ÷ floor | keyless ÷ @azure/identity | Target | Status |')
  lines.push('|---|--:|--:|--:|--:|--:|---|---|')
  lines.push(hotRow('Hot path: cached `getToken`, sequential, ns/op', (f) => f.nsPerOp, '≤ 2× floor', 'hot-path-vs-floor'))
  lines.push(hotRow(`Hot path: ${CONCURRENT_CALLERS} concurrent callers, ns/op`, (f) => f.concurrentNsPerOp, '≤ 2× floor', 'hot-path-concurrent-vs-floor'))
  lines.push(hotRow('Hot path: call latency p50, sequential, ns', (f) => f.sequentialP50Ns, 'none'))
  lines.push(hotRow('Hot path: call latency p99, sequential, ns', (f) => f.sequentialP99Ns, 'none'))
  lines.push(hotRow(`Hot path: call latency p50, ${CONCURRENT_CALLERS} concurrent callers, ns`, (f) => f.concurrentP50Ns, 'none'))
  lines.push(hotRow(`Hot path: call latency p99, ${CONCURRENT_CALLERS} concurrent callers, ns`, (f) => f.concurrentP99Ns, 'none'))
  lines.push(hotRow('Hot path: heap bytes allocated per hit', (f) => f.bytesPerHit, '≤ 300 B/hit', 'bytes-per-hit'))
  scaling.keyless.byScopes.forEach((entry, i) => {
    if (entry.scopes === 1) return
    const floor = scaling.floor.byScopes[i] as { ratio: Metric }
    const last = i === scaling.keyless.byScopes.length - 1
    lines.push(
      `| Hit cost, ${entry.scopes} scopes hit ÷ 1 scope (1000 cached) | ${ratio(entry.ratio.median)} | ${ratio(floor.ratio.median)} | n/a | ` +
        `${ratio(entry.ratio.median / floor.ratio.median)} | n/a | ${last ? '≤ 1.2×' : 'none'} | ${last ? st('scope-scaling') : '—'} |`,
    )
  })
  lines.push(...renderMoreMainRows(s.more, st))
  lines.push('')
  lines.push(...renderBurstTable(s.more, st))
  lines.push('')
  lines.push(...renderResilienceTable(s.more, st))
  lines.push('')
  lines.push(...renderFailuresTable(s.more))
  lines.push('')
  lines.push(...renderWiTable(s.more))
  lines.push('')
  lines.push(...renderHttpTable(s.http, st))
  lines.push('')
  lines.push(...verdictLines(s.targets, s.failures.length))
  lines.push('')
  lines.push(
    'Ratios below 1× favour keyless, except in the plugin-overhead table (requests/s), where ratios above 1× do. ' +
      'Every figure was measured in this run; ratios divide medians of this run only. "Simulated" times come from a fake clock ' +
      '(retry delays and timeouts run at their simulated times, the endpoint answers at once); see docs/benchmarks.md.',
  )
  lines.push('')

  lines.push('## Details (median, with min–max over runs)')
  lines.push('')
  lines.push('| Scenario | Subject | Median (min–max) | Per run |')
  lines.push('|---|---|--:|---|')
  const names: Record<HotSubject, string> = {
    keyless: 'keyless `imds()`',
    floor: 'floor (async Map + Date.now)',
    azure: '@azure/identity `ManagedIdentityCredential`',
    baseline: 'harness only (await of a ready promise)',
  }
  const detail = (label: string, pick: (f: HotFigures) => Metric): void => {
    for (const subject of HOT_SUBJECTS) lines.push(`| ${label} | ${names[subject]} | ${spread(pick(hot[subject]))} | ${perRun(pick(hot[subject]))} |`)
  }
  detail('Hot path ns/op', (f) => f.nsPerOp)
  detail(`Hot path ns/op, ${CONCURRENT_CALLERS} callers`, (f) => f.concurrentNsPerOp)
  detail('Hot path p50 ns, sequential', (f) => f.sequentialP50Ns)
  detail('Hot path p99 ns, sequential', (f) => f.sequentialP99Ns)
  detail(`Hot path p50 ns, ${CONCURRENT_CALLERS} callers`, (f) => f.concurrentP50Ns)
  detail(`Hot path p99 ns, ${CONCURRENT_CALLERS} callers`, (f) => f.concurrentP99Ns)
  detail('Hot path B/hit', (f) => f.bytesPerHit)
  for (const subject of ['keyless', 'floor'] as const) {
    const name = subject === 'keyless' ? names.keyless : names.floor
    for (const entry of scaling[subject].byScopes) {
      lines.push(`| ${entry.scopes} scope(s) hit, ns/op | ${name} | ${spread(entry.nsPerOp)} | ${perRun(entry.nsPerOp)} |`)
      if (entry.scopes !== 1) {
        lines.push(
          `| ${entry.scopes} ÷ 1 scopes (median of rounds) | ${name} | ${ratio(entry.ratio.median)} (${ratio(entry.ratio.min)}–${ratio(entry.ratio.max)}) | ${entry.ratio.runs.map(ratio).join(', ')} |`,
        )
      }
    }
  }
  lines.push(...renderMoreDetails(s.more))
  lines.push(...renderHttpDetails(s.http))
  lines.push('')

  lines.push('## Checks')
  lines.push('')
  const netNs = k.nsPerOp.median - hot.baseline.nsPerOp.median
  const netB = k.bytesPerHit.median - hot.baseline.bytesPerHit.median
  lines.push(
    Number.isNaN(hot.baseline.nsPerOp.median)
      ? '- Harness cost: not measured (`--quick` leaves the harness-only subject out).'
      : `- Harness cost: awaiting a ready promise takes ${num(hot.baseline.nsPerOp.median)} ns and ${num(hot.baseline.bytesPerHit.median)} B per iteration; ` +
          `every hot-path row includes it. keyless net of it: ${num(netNs)} ns, ${num(netB)} B per hit (informational; targets use the raw figures). ` +
          `The latency rows include two \`performance.now()\` reads per call: the harness's p50 is ${num(hot.baseline.sequentialP50Ns.median)} ns.`,
  )
  lines.push(
    `- On a hit, keyless is ${num(hot.azure.nsPerOp.median / k.nsPerOp.median)}× faster than @azure/identity and allocates ` +
      `${num(hot.azure.bytesPerHit.median / k.bytesPerHit.median)}× less.`,
  )
  const voided = HOT_SUBJECTS.map((x) => `${x} ${hot[x].allocSamplesVoidedByGc}/${hot[x].allocSamples}`).join(', ')
  const anyVoided = HOT_SUBJECTS.some((x) => hot[x].allocSamplesVoidedByGc > 0)
  lines.push(
    `- GC inside an allocation loop (gc PerformanceObserver): ${anyVoided ? `YES, those samples were dropped: ${voided}` : `none (${voided} samples voided)`}.`,
  )
  const upstreamHot = HOT_SUBJECTS.map((x) => hot[x].upstreamDuringHits)
  lines.push(
    `- Token requests the emulator saw during hot-path loops (after each subject's first fetch): ${sum(upstreamHot)}` +
      `${sum(upstreamHot) === 0 ? ' (every timed call was a cache hit)' : ' (NOT all hits!)'}.`,
  )
  lines.push(
    `- Scope scaling: warming 1000 scopes cost keyless ${scaling.keyless.warmUpstreamRequests.map((v) => num(v)).join(', ')} upstream requests per run; ` +
      `${scaling.keyless.upstreamDuringHits} during the timed loops; ${scaling.keyless.evictions} evictions (maxEntries 2000).`,
  )
  const one = (x: Summary['scaling']['keyless']): number => (x.byScopes[0] as { nsPerOp: Metric }).nsPerOp.median
  lines.push(
    `- Scope scaling: with 1000 scopes keyless takes ${num(lastScaling(scaling.keyless).nsPerOp.median - one(scaling.keyless))} ns more per hit, ` +
      `the floor's single Map ${num(lastScaling(scaling.floor).nsPerOp.median - one(scaling.floor))} ns more.`,
  )
  lines.push(...renderMoreChecks(s.more))
  lines.push(...renderHttpChecks(s.http))
  if (s.failures.length > 0) {
    lines.push('')
    lines.push('## Failed scenario processes')
    lines.push('')
    for (const failure of s.failures) lines.push(`- ${failure}`)
  }
  lines.push('')
  lines.push(`Command: \`${meta.command}\`. Method, scenarios and columns: docs/benchmarks.md.`)
  return lines.join('\n')
}
