/**
 * Turns the runs' raw results into medians, ratios and target verdicts, and renders the report
 * (the same Markdown goes to stdout and `results/latest.md`).
 *
 * @module
 */
import type { BurstResult, HotAllocResult, HotTimeResult, ScalingResult, ScenarioResult, ScenarioTask } from './scenario.js'
import { num, perRun, ratio, spread } from './format.js'
import { httpTargets, renderHttpChecks, renderHttpDetails, renderHttpTable, summarizeHttp, type HttpSummary } from './report-http.js'
import { metric, type Metric } from './stats.js'

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
  id: 'hot-path-vs-floor' | 'bytes-per-hit' | 'scope-scaling' | 'cold-burst-upstream' | 'express-overhead' | 'fastify-overhead'
  metric: string
  target: string
  value: string
  met: boolean
}

const HOT_SUBJECTS = ['keyless', 'floor', 'azure', 'baseline'] as const
type HotSubject = (typeof HOT_SUBJECTS)[number]

export interface Summary {
  hot: Record<HotSubject, { nsPerOp: Metric; bytesPerHit: Metric; allocSamples: number; allocSamplesVoidedByGc: number; upstreamDuringHits: number }>
  scaling: Record<'keyless' | 'floor', { oneScope: Metric; manyScopes: Metric; ratio: Metric; warmUpstreamRequests: number[]; upstreamDuringHits: number; evictions: number }>
  burst: Record<'keyless' | 'azure', { upstreamRequests: Metric; wallMs: Metric; rejected: number[]; maxConcurrent: number[]; byStatus: Record<number, number>[]; firstError: string | undefined }>
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

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)

/** Medians, ratios and verdicts from every run's record. */
export function summarize(records: RunRecord[]): Summary {
  const hot = {} as Summary['hot']
  for (const subject of HOT_SUBJECTS) {
    const times = resultsOf<HotTimeResult>(records, 'hot-time', subject)
    const allocs = resultsOf<HotAllocResult>(records, 'hot-alloc', subject)
    hot[subject] = {
      nsPerOp: metric(times.map((r) => r?.nsPerOp ?? Number.NaN)),
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
      oneScope: metric(runs.map((r) => r?.oneScopeNsPerOp ?? Number.NaN)),
      manyScopes: metric(runs.map((r) => r?.manyScopesNsPerOp ?? Number.NaN)),
      ratio: metric(runs.map((r) => r?.ratio ?? Number.NaN)),
      warmUpstreamRequests: runs.map((r) => r?.warmUpstreamRequests ?? Number.NaN),
      upstreamDuringHits: sum(runs.map((r) => r?.upstreamDuringHits ?? 0)),
      evictions: sum(runs.map((r) => r?.evictions ?? 0)),
    }
  }
  const burst = {} as Summary['burst']
  for (const subject of ['keyless', 'azure'] as const) {
    const runs = resultsOf<BurstResult>(records, 'burst', subject)
    burst[subject] = {
      upstreamRequests: metric(runs.map((r) => r?.upstreamRequests ?? Number.NaN)),
      wallMs: metric(runs.map((r) => r?.wallMs ?? Number.NaN)),
      rejected: runs.map((r) => r?.rejected ?? Number.NaN),
      maxConcurrent: runs.map((r) => r?.maxConcurrent ?? Number.NaN),
      byStatus: runs.map((r) => r?.byStatus ?? {}),
      firstError: runs.find((r) => r?.firstError !== undefined)?.firstError,
    }
  }

  const hotRatio = hot.keyless.nsPerOp.median / hot.floor.nsPerOp.median
  const bytes = hot.keyless.bytesPerHit.median
  const scale = scaling.keyless.ratio.median
  const upstream = burst.keyless.upstreamRequests
  const upstreamRuns = upstream.runs
  const targets: Target[] = [
    { id: 'hot-path-vs-floor', metric: 'hot path ns/op, keyless ÷ floor', target: '≤ 2×', value: ratio(hotRatio), met: hotRatio <= 2 },
    { id: 'bytes-per-hit', metric: 'heap bytes per hit, keyless', target: '≤ 300 B', value: `${num(bytes)} B`, met: bytes <= 300 },
    { id: 'scope-scaling', metric: 'hit ns/op, 1000 scopes ÷ 1 scope, keyless', target: '≤ 1.2×', value: ratio(scale), met: scale <= 1.2 },
    {
      id: 'cold-burst-upstream',
      metric: 'upstream requests for 1000 concurrent callers on a cold scope, keyless',
      target: '1 in every run',
      value: upstreamRuns.map((v) => num(v)).join(', '),
      met: upstreamRuns.length > 0 && upstreamRuns.every((v) => v === 1) && burst.keyless.rejected.every((v) => v === 0),
    },
  ]
  const http = summarizeHttp(records)
  targets.push(...httpTargets(http))
  const failures = records.flatMap((r) =>
    r.error === undefined ? [] : [`run ${r.task.run + 1} ${describeTask(r.task)}: ${r.error.split('\n')[0]}`],
  )
  return { hot, scaling, burst, http, targets, failures }
}

const status = (t: Target | undefined): string => (t === undefined ? '' : t.met ? 'met' : '**MISSED**')

/** What a task measures, for logs and the report: `hot-time keyless`, `http express none`. */
export function describeTask(task: ScenarioTask): string {
  return task.kind === 'http' ? `http ${task.framework} ${task.subject}` : `${task.kind} ${task.subject}`
}

/** The Markdown report. */
export function renderReport(meta: Meta, s: Summary): string {
  const target = (id: Target['id']): Target | undefined => s.targets.find((t) => t.id === id)
  const { hot, scaling, burst } = s
  const k = hot.keyless
  const lines: string[] = []
  lines.push('# keyless benchmark')
  lines.push('')
  lines.push(
    `${meta.date} · Node ${meta.node} (V8 ${meta.v8}) · ${meta.cpu} · ${meta.cores} cores · ${meta.platform} · ` +
      `${meta.mode}: ${meta.runs} runs of each scenario, each run its own process, medians shown · bench took ${(meta.durationMs / 1000).toFixed(1)} s`,
  )
  lines.push('')
  lines.push('| Metric | keyless | floor | @azure/identity | keyless ÷ floor | keyless ÷ @azure/identity | Target | Status |')
  lines.push('|---|--:|--:|--:|--:|--:|---|---|')
  lines.push(
    `| Hot path: cached \`getToken\`, ns/op | ${num(k.nsPerOp.median)} | ${num(hot.floor.nsPerOp.median)} | ${num(hot.azure.nsPerOp.median)} | ` +
      `${ratio(k.nsPerOp.median / hot.floor.nsPerOp.median)} | ${ratio(k.nsPerOp.median / hot.azure.nsPerOp.median)} | ≤ 2× floor | ${status(target('hot-path-vs-floor'))} |`,
  )
  lines.push(
    `| Hot path: heap bytes allocated per hit | ${num(k.bytesPerHit.median)} | ${num(hot.floor.bytesPerHit.median)} | ${num(hot.azure.bytesPerHit.median)} | ` +
      `${ratio(k.bytesPerHit.median / hot.floor.bytesPerHit.median)} | ${ratio(k.bytesPerHit.median / hot.azure.bytesPerHit.median)} | ≤ 300 B/hit | ${status(target('bytes-per-hit'))} |`,
  )
  lines.push(
    `| Hit cost, 1000 cached scopes ÷ 1 scope | ${ratio(scaling.keyless.ratio.median)} | ${ratio(scaling.floor.ratio.median)} | n/a | ` +
      `${ratio(scaling.keyless.ratio.median / scaling.floor.ratio.median)} | n/a | ≤ 1.2× | ${status(target('scope-scaling'))} |`,
  )
  lines.push(
    `| Cold burst, 1000 concurrent callers: upstream requests | ${num(burst.keyless.upstreamRequests.median)} | n/a | ${num(burst.azure.upstreamRequests.median)} | ` +
      `n/a | ${ratio(burst.keyless.upstreamRequests.median / burst.azure.upstreamRequests.median)} | 1 | ${status(target('cold-burst-upstream'))} |`,
  )
  lines.push(
    `| Cold burst, 1000 concurrent callers: wall time, ms | ${num(burst.keyless.wallMs.median)} | n/a | ${num(burst.azure.wallMs.median)} | ` +
      `n/a | ${ratio(burst.keyless.wallMs.median / burst.azure.wallMs.median)} | none | — |`,
  )
  lines.push('')
  lines.push(...renderHttpTable(s.http, (id) => status(target(id))))
  lines.push('')
  const met = s.targets.filter((t) => t.met).length
  lines.push(`Targets met: ${met} of ${s.targets.length}.` + (s.failures.length > 0 ? ` ${s.failures.length} scenario process(es) FAILED (see below).` : ''))
  lines.push('')
  lines.push(
    'In the first table (ns, bytes, requests, ms) ratios below 1× favour keyless; in the plugin-overhead table (requests/s) ratios above 1× do. ' +
      'Every figure was measured in this run; ratios divide medians of this run only.',
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
  for (const subject of HOT_SUBJECTS) lines.push(`| Hot path ns/op | ${names[subject]} | ${spread(hot[subject].nsPerOp)} | ${perRun(hot[subject].nsPerOp)} |`)
  for (const subject of HOT_SUBJECTS) lines.push(`| Hot path B/hit | ${names[subject]} | ${spread(hot[subject].bytesPerHit)} | ${perRun(hot[subject].bytesPerHit)} |`)
  for (const subject of ['keyless', 'floor'] as const) {
    const sc = scaling[subject]
    const name = subject === 'keyless' ? names.keyless : names.floor
    lines.push(`| 1 scope ns/op | ${name} | ${spread(sc.oneScope)} | ${perRun(sc.oneScope)} |`)
    lines.push(`| 1000 scopes ns/op | ${name} | ${spread(sc.manyScopes)} | ${perRun(sc.manyScopes)} |`)
    lines.push(`| 1000 ÷ 1 scopes (median of paired batches) | ${name} | ${ratio(sc.ratio.median)} (${ratio(sc.ratio.min)}–${ratio(sc.ratio.max)}) | ${sc.ratio.runs.map(ratio).join(', ')} |`)
  }
  for (const subject of ['keyless', 'azure'] as const) {
    const b = burst[subject]
    const name = subject === 'keyless' ? names.keyless : names.azure
    lines.push(`| Cold burst upstream requests | ${name} | ${spread(b.upstreamRequests)} | ${perRun(b.upstreamRequests)} |`)
    lines.push(`| Cold burst wall ms | ${name} | ${spread(b.wallMs)} | ${perRun(b.wallMs)} |`)
  }
  lines.push(...renderHttpDetails(s.http))
  lines.push('')

  lines.push('## Checks')
  lines.push('')
  const netNs = k.nsPerOp.median - hot.baseline.nsPerOp.median
  const netB = k.bytesPerHit.median - hot.baseline.bytesPerHit.median
  lines.push(
    `- Harness cost: awaiting a ready promise takes ${num(hot.baseline.nsPerOp.median)} ns and ${num(hot.baseline.bytesPerHit.median)} B per iteration; ` +
      `every hot-path row includes it. keyless net of it: ${num(netNs)} ns, ${num(netB)} B per hit (informational; targets use the raw figures).`,
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
  lines.push(
    `- Scope scaling: with 1000 scopes keyless takes ${num(scaling.keyless.manyScopes.median - scaling.keyless.oneScope.median)} ns more per hit, ` +
      `the floor's single Map ${num(scaling.floor.manyScopes.median - scaling.floor.oneScope.median)} ns more.`,
  )
  for (const subject of ['keyless', 'azure'] as const) {
    const b = burst[subject]
    const statuses = b.byStatus.map((st) => Object.entries(st).map(([code, n]) => `${code}×${n}`).join(' ') || '—').join('; ')
    lines.push(
      `- Cold burst ${subject === 'keyless' ? 'keyless' : '@azure/identity'}: rejected callers per run ${b.rejected.map((v) => num(v)).join(', ')}; ` +
        `most requests in flight at the emulator ${b.maxConcurrent.map((v) => num(v)).join(', ')}; statuses ${statuses}` +
        `${b.firstError === undefined ? '' : `; first error: ${b.firstError}`}.`,
    )
  }
  lines.push(...renderHttpChecks(s.http))
  if (s.failures.length > 0) {
    lines.push('')
    lines.push('## Failed scenario processes')
    lines.push('')
    for (const failure of s.failures) lines.push(`- ${failure}`)
  }
  lines.push('')
  lines.push(`Command: \`${meta.command}\`. Method and columns: bench/README.md.`)
  return lines.join('\n')
}
