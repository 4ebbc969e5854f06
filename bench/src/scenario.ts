/**
 * One scenario run in its own process, forked by `run.js`. The loopback guard is imported first,
 * so no module loaded after it can open a non-loopback socket. The result goes back over IPC.
 *
 * Usage (by run.js only): `node [flags] scenario.js '<ScenarioTask JSON>'`
 *
 * @module
 */
import { loopbackGuardActive, tcpConnectCount } from './loopback-guard.js'
import { connectEmulator, type EmulatorProcess } from './emulator-client.js'
import type { HttpResult } from './http-load.js'
import type { Framework } from './http-server.js'
import { CONCURRENT_CALLERS, SCALING_SCOPES } from './constants.js'
import { runExtra, type ExtraResult, type ExtraTask } from './extra-scenarios.js'
import { allocPerHit, batchSize, callLatencies, concurrentHits, gcCounter, hits, hitsOver, timeBatch, warmUp, type AllocSample } from './measure.js'
import { rotated } from './rotated.js'
import { median, percentile } from './stats.js'
import { azureSubject, baselineSubject, floorSubject, HOT_SCOPE, keylessSubject, type Subject, type SubjectName } from './subjects.js'

/** What run.js asks a scenario process to do. */
export type ScenarioTask =
  | { kind: 'hot-time'; subject: SubjectName; run: number; quick: boolean }
  | { kind: 'hot-alloc'; subject: SubjectName; run: number; quick: boolean }
  | { kind: 'scaling'; subject: 'keyless' | 'floor'; run: number; quick: boolean }
  | { kind: 'burst'; subject: 'keyless' | 'azure'; run: number; quick: boolean; scopes: number; latencyMs: number }
  | { kind: 'http'; framework: Framework; run: number; quick: boolean }
  | ExtraTask

export interface HotTimeResult {
  kind: 'hot-time'
  nsPerOp: number
  batches: number[]
  opsPerBatch: number
  /** {@link CONCURRENT_CALLERS} concurrent loops of awaited calls: wall ns ÷ calls, median batch. */
  concurrentNsPerOp: number
  concurrentBatches: number[]
  /** Latency of one call, ns: sequential, and with {@link CONCURRENT_CALLERS} concurrent callers. */
  sequentialP50Ns: number
  sequentialP99Ns: number
  concurrentP50Ns: number
  concurrentP99Ns: number
  latencySamples: number
  /** Token requests the emulator saw during warm-up and timing, after the first fetch (should be 0). */
  upstreamDuringHits: number
}
export interface HotAllocResult {
  kind: 'hot-alloc'
  /** Median over the samples no GC voided; undefined if every sample was voided. */
  bytesPerHit: number | undefined
  samples: AllocSample[]
  newSpaceBytes: number
  upstreamDuringHits: number
}
export interface ScalingResult {
  kind: 'scaling'
  oneScopeNsPerOp: number
  manyScopesNsPerOp: number
  /** Median over rounds of (1000-scope batch ÷ 1-scope batch), the batches of a round timed back to back. */
  ratio: number
  /** Per number of scopes hit (1, 10, 100, 1000): median ns/op, and median over rounds of (its batch ÷ the 1-scope batch). */
  byScopes: { scopes: number; nsPerOp: number; ratio: number }[]
  /** Every round: ns/op of each kind, in SCALING_SCOPES order. */
  rounds: number[][]
  opsPerBatch: number
  scopes: number
  warmUpstreamRequests: number
  upstreamDuringHits: number
  evictions: number
}
export interface BurstResult {
  kind: 'burst'
  callers: number
  scopes: number
  latencyMs: number
  upstreamRequests: number
  /** TCP connections this process opened during the burst (all to the emulator), counted by the loopback guard. */
  connections: number
  wallMs: number
  rejected: number
  firstError: string | undefined
  maxConcurrent: number
  byStatus: Record<number, number>
}
export type { HttpResult }
export type ScenarioResult = HotTimeResult | HotAllocResult | ScalingResult | BurstResult | HttpResult | ExtraResult
export type ScenarioMessage = { ok: true; result: ScenarioResult } | { ok: false; error: string }

const SCOPES = 1000
const CALLERS = 1000

async function makeSubject(name: SubjectName, emulator: EmulatorProcess): Promise<Subject> {
  if (name === 'baseline') return baselineSubject()
  if (name === 'floor') return floorSubject()
  if (name === 'keyless') return keylessSubject(emulator.url)
  return azureSubject(emulator.url)
}

async function hotTime(task: Extract<ScenarioTask, { kind: 'hot-time' }>, emulator: EmulatorProcess): Promise<HotTimeResult> {
  const subject = await makeSubject(task.subject, emulator)
  await subject.get(HOT_SCOPE) // the one miss: fetched from the emulator (the floor has it already)
  const before = (await emulator.counters()).tokenRequests
  const body = (n: number): Promise<void> => hits(subject.get, HOT_SCOPE, n)
  const warm = await warmUp(body, task.quick ? 250 : 500)
  const n = batchSize(warm.nsPerOp, task.quick ? 25 : 40)
  const batches: number[] = []
  for (let i = 0; i < (task.quick ? 7 : 11); i++) batches.push(await timeBatch(body, n))
  // The same subject with 64 concurrent callers, each looping awaited calls.
  const bodyConcurrent = (total: number): Promise<void> => concurrentHits(subject.get, HOT_SCOPE, total, CONCURRENT_CALLERS)
  const warmConcurrent = await warmUp(bodyConcurrent, task.quick ? 150 : 300, CONCURRENT_CALLERS * 8)
  const nConcurrent = batchSize(warmConcurrent.nsPerOp, task.quick ? 25 : 40, CONCURRENT_CALLERS)
  const concurrentBatches: number[] = []
  for (let i = 0; i < (task.quick ? 7 : 11); i++) concurrentBatches.push(await timeBatch(bodyConcurrent, nConcurrent))
  // Per-call latency, sequential then concurrent: about as many calls as one batch, at least 10 000.
  const samples = Math.max(10_000, Math.min(n, 100_000))
  const sequential = await callLatencies(subject.get, HOT_SCOPE, samples, 1)
  const concurrent = await callLatencies(subject.get, HOT_SCOPE, samples, CONCURRENT_CALLERS)
  const upstreamDuringHits = (await emulator.counters()).tokenRequests - before
  await subject.close()
  return {
    kind: 'hot-time',
    nsPerOp: median(batches),
    batches,
    opsPerBatch: n,
    concurrentNsPerOp: median(concurrentBatches),
    concurrentBatches,
    sequentialP50Ns: percentile(sequential, 50),
    sequentialP99Ns: percentile(sequential, 99),
    concurrentP50Ns: percentile(concurrent, 50),
    concurrentP99Ns: percentile(concurrent, 99),
    latencySamples: samples,
    upstreamDuringHits,
  }
}

async function hotAlloc(task: Extract<ScenarioTask, { kind: 'hot-alloc' }>, emulator: EmulatorProcess): Promise<HotAllocResult> {
  const v8 = await import('node:v8')
  const subject = await makeSubject(task.subject, emulator)
  await subject.get(HOT_SCOPE)
  const before = (await emulator.counters()).tokenRequests
  const body = (n: number): Promise<void> => hits(subject.get, HOT_SCOPE, n)
  await warmUp(body, task.quick ? 250 : 500)
  const counter = gcCounter()
  // A probe sizes the measured loops so they allocate about 32 MB: far below the new space.
  const probe = await allocPerHit(body, 1000, counter)
  const estimate = Math.max(probe.bytesPerHit ?? 64, 8)
  const n = Math.min(200_000, Math.max(1000, Math.floor((32 * 1024 * 1024) / estimate)))
  const samples: AllocSample[] = []
  for (let i = 0; i < (task.quick ? 3 : 5); i++) samples.push(await allocPerHit(body, n, counter))
  counter.stop()
  const valid = samples.flatMap((s) => (s.bytesPerHit === undefined ? [] : [s.bytesPerHit]))
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
  const upstreamDuringHits = (await emulator.counters()).tokenRequests - before
  await subject.close()
  return {
    kind: 'hot-alloc',
    bytesPerHit: valid.length === 0 ? undefined : median(valid),
    samples,
    newSpaceBytes: newSpace?.space_size ?? 0,
    upstreamDuringHits,
  }
}

async function scaling(task: Extract<ScenarioTask, { kind: 'scaling' }>, emulator: EmulatorProcess): Promise<ScalingResult> {
  // Flat strings, as a service's scopes are (literals, or read from configuration): JSON.parse makes
  // flat strings, where a template literal makes a cons string. keyless validates a scope (which
  // flattens a cons string in place) and a GC may then point some references at the flat copy and
  // leave others on the cons wrapper: every hit then compares two string objects instead of one
  // pointer. With cons strings, keyless's 1000-scope ratio measured about 0.05 higher and the floor's
  // about 0.1 higher (docs/benchmarks.md, "Scope strings").
  const many: string[] = JSON.parse(
    JSON.stringify(Array.from({ length: SCOPES }, (_, i) => `https://bench-scope-${String(i).padStart(4, '0')}.example.net/.default`)),
  ) as string[]
  // One array of 1000 per kind: the first N scopes round-robin. Same loop, same array length: only the data differs.
  const arrays = SCALING_SCOPES.map((count) => Array.from({ length: SCOPES }, (_, i) => many[i % count] as string))
  // keyless with maxEntries 2000, so none of the 1000 scopes is evicted; or the floor's Map of 1000.
  const keyless = task.subject === 'keyless' ? await keylessSubject(emulator.url, { maxEntries: 2000 }) : undefined
  const provider: Subject = keyless ?? floorSubject(many)
  const start = (await emulator.counters()).tokenRequests
  await Promise.all(many.map((scope) => provider.get(scope)))
  const warmed = (await emulator.counters()).tokenRequests
  const bodies = arrays.map((scopes) => (n: number): Promise<void> => hitsOver(provider.get, scopes, n))
  const warmMs = task.quick ? 100 : 250
  let slowest = 0
  for (const body of bodies) slowest = Math.max(slowest, (await warmUp(body, warmMs, SCOPES)).nsPerOp)
  const n = batchSize(slowest, task.quick ? 20 : 40, SCOPES)
  const rounds: number[][] = []
  for (let r = 0; r < (task.quick ? 7 : 11); r++) {
    // The kinds of a round run back to back, in an order that rotates from round to round, so
    // drift within the round does not always favour the same kind.
    const round = new Array<number>(bodies.length).fill(0)
    for (const kind of rotated([...bodies.keys()], r)) {
      round[kind] = await timeBatch(bodies[kind] as (n: number) => Promise<void>, n)
    }
    rounds.push(round)
  }
  const end = (await emulator.counters()).tokenRequests
  const evictions = keyless === undefined ? 0 : (keyless.stats() as { evictions?: number }).evictions ?? 0
  await provider.close()
  const byScopes = SCALING_SCOPES.map((scopes, k) => ({
    scopes,
    nsPerOp: median(rounds.map((round) => round[k] as number)),
    ratio: median(rounds.map((round) => (round[k] as number) / (round[0] as number))),
  }))
  const last = byScopes[byScopes.length - 1] as { nsPerOp: number; ratio: number }
  return {
    kind: 'scaling',
    oneScopeNsPerOp: (byScopes[0] as { nsPerOp: number }).nsPerOp,
    manyScopesNsPerOp: last.nsPerOp,
    ratio: last.ratio,
    byScopes,
    rounds,
    opsPerBatch: n,
    scopes: SCOPES,
    warmUpstreamRequests: warmed - start,
    upstreamDuringHits: end - warmed,
    evictions,
  }
}

async function burst(task: Extract<ScenarioTask, { kind: 'burst' }>, emulator: EmulatorProcess): Promise<BurstResult> {
  const make = (): Promise<Subject> => (task.subject === 'keyless' ? keylessSubject(emulator.url) : azureSubject(emulator.url))
  // Warm the code paths (module load, JIT, first connection) on another scope with a throwaway
  // instance, so the burst measures the cold *scope*, not a cold process.
  const warm = await make()
  await warm.get('https://bench-warmup.example.net/.default')
  await warm.close()
  // A fresh instance and a scope never requested in this process (MSAL's cache is process-wide).
  const subject = await make()
  // `scopes` scopes never requested in this process, CALLERS ÷ scopes callers on each, interleaved.
  const scopes = Array.from({ length: task.scopes }, (_, i) => `https://bench-burst-${task.run}-${i}.example.net/.default`)
  await emulator.control({ latencyMs: task.latencyMs })
  const before = await emulator.counters()
  const connectsBefore = tcpConnectCount()
  const t0 = process.hrtime.bigint()
  const settled = await Promise.allSettled(Array.from({ length: CALLERS }, (_, i) => subject.get(scopes[i % scopes.length] as string)))
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  const connections = tcpConnectCount() - connectsBefore
  const after = await emulator.counters()
  await subject.close()
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
  const byStatus: Record<number, number> = {}
  for (const [status, count] of Object.entries(after.byStatus)) {
    const delta = count - (before.byStatus[Number(status)] ?? 0)
    if (delta > 0) byStatus[Number(status)] = delta
  }
  return {
    kind: 'burst',
    callers: CALLERS,
    scopes: task.scopes,
    latencyMs: task.latencyMs,
    connections,
    upstreamRequests: after.tokenRequests - before.tokenRequests,
    wallMs,
    rejected: failures.length,
    firstError: failures[0] === undefined ? undefined : String((failures[0].reason as Error)?.message ?? failures[0].reason).slice(0, 200),
    maxConcurrent: after.maxConcurrent,
    byStatus,
  }
}

async function main(): Promise<ScenarioResult> {
  const task = JSON.parse(process.argv[2] ?? '{}') as ScenarioTask
  if (!loopbackGuardActive()) throw new Error('the loopback guard is not installed; refusing to run')
  const emulator = await connectEmulator()
  try {
    switch (task.kind) {
      case 'hot-time':
        return await hotTime(task, emulator)
      case 'hot-alloc':
        return await hotAlloc(task, emulator)
      case 'scaling':
        return await scaling(task, emulator)
      case 'burst':
        return await burst(task, emulator)
      case 'http': {
        // Loaded only here, so autocannon is never in the heap of the other scenarios' processes.
        const { httpOverhead } = await import('./http-load.js')
        return await httpOverhead(task, emulator)
      }
      default:
        return await runExtra(task, emulator)
    }
  } finally {
    await emulator.close()
  }
}

const send = (message: ScenarioMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`)
      resolve()
    } else process.send(message, () => resolve())
  })

try {
  await send({ ok: true, result: await main() })
} catch (error) {
  await send({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exitCode = 1
}
// Anything still open (an SDK's keep-alive sockets) must not hold the result back.
if (process.connected) process.disconnect()
setTimeout(() => process.exit(), 200).unref()
