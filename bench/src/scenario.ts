/**
 * One scenario run in its own process, forked by `run.js`. The loopback guard is imported first,
 * so no module loaded after it can open a non-loopback socket. The result goes back over IPC.
 *
 * Usage (by run.js only): `node [flags] scenario.js '<ScenarioTask JSON>'`
 *
 * @module
 */
import { loopbackGuardActive } from './loopback-guard.js'
import { startEmulatorProcess, type EmulatorProcess } from './emulator-client.js'
import type { HttpResult } from './http-load.js'
import type { Framework, HttpVariant } from './http-server.js'
import { allocPerHit, batchSize, gcCounter, hits, hitsOver, timeBatch, warmUp, type AllocSample } from './measure.js'
import { median } from './stats.js'
import { azureSubject, baselineSubject, floorSubject, HOT_SCOPE, keylessSubject, type Subject, type SubjectName } from './subjects.js'

/** What run.js asks a scenario process to do. */
export type ScenarioTask =
  | { kind: 'hot-time'; subject: SubjectName; run: number; quick: boolean }
  | { kind: 'hot-alloc'; subject: SubjectName; run: number; quick: boolean }
  | { kind: 'scaling'; subject: 'keyless' | 'floor'; run: number; quick: boolean }
  | { kind: 'burst'; subject: 'keyless' | 'azure'; run: number; quick: boolean }
  | { kind: 'http'; framework: Framework; subject: HttpVariant; run: number; quick: boolean }

export interface HotTimeResult {
  kind: 'hot-time'
  nsPerOp: number
  batches: number[]
  opsPerBatch: number
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
  /** Median over pairs of (1000-scope batch ÷ 1-scope batch), each pair timed back to back. */
  ratio: number
  pairs: { one: number; many: number }[]
  opsPerBatch: number
  scopes: number
  warmUpstreamRequests: number
  upstreamDuringHits: number
  evictions: number
}
export interface BurstResult {
  kind: 'burst'
  callers: number
  upstreamRequests: number
  wallMs: number
  rejected: number
  firstError: string | undefined
  maxConcurrent: number
  byStatus: Record<number, number>
}
export type { HttpResult }
export type ScenarioResult = HotTimeResult | HotAllocResult | ScalingResult | BurstResult | HttpResult
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
  const upstreamDuringHits = (await emulator.counters()).tokenRequests - before
  await subject.close()
  return { kind: 'hot-time', nsPerOp: median(batches), batches, opsPerBatch: n, upstreamDuringHits }
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
  const many = Array.from({ length: SCOPES }, (_, i) => `https://bench-scope-${String(i).padStart(4, '0')}.example.net/.default`)
  const one = new Array<string>(SCOPES).fill(many[0] as string) // same loop, same array length: only the data differs
  // keyless with maxEntries 2000, so none of the 1000 scopes is evicted; or the floor's Map of 1000.
  const keyless = task.subject === 'keyless' ? await keylessSubject(emulator.url, 2000) : undefined
  const provider: Subject = keyless ?? floorSubject(many)
  const start = (await emulator.counters()).tokenRequests
  await Promise.all(many.map((scope) => provider.get(scope)))
  const warmed = (await emulator.counters()).tokenRequests
  const bodyOne = (n: number): Promise<void> => hitsOver(provider.get, one, n)
  const bodyMany = (n: number): Promise<void> => hitsOver(provider.get, many, n)
  const warmMs = task.quick ? 200 : 400
  await warmUp(bodyOne, warmMs, SCOPES)
  const warm = await warmUp(bodyMany, warmMs, SCOPES)
  const n = batchSize(warm.nsPerOp, task.quick ? 25 : 40, SCOPES)
  const pairs: { one: number; many: number }[] = []
  for (let i = 0; i < (task.quick ? 7 : 11); i++) {
    // Alternate which goes first, so drift within the pair does not favour one side.
    if (i % 2 === 0) {
      const o = await timeBatch(bodyOne, n)
      pairs.push({ one: o, many: await timeBatch(bodyMany, n) })
    } else {
      const m = await timeBatch(bodyMany, n)
      pairs.push({ one: await timeBatch(bodyOne, n), many: m })
    }
  }
  const end = (await emulator.counters()).tokenRequests
  const evictions = keyless === undefined ? 0 : (keyless.stats() as { evictions?: number }).evictions ?? 0
  await provider.close()
  return {
    kind: 'scaling',
    oneScopeNsPerOp: median(pairs.map((p) => p.one)),
    manyScopesNsPerOp: median(pairs.map((p) => p.many)),
    ratio: median(pairs.map((p) => p.many / p.one)),
    pairs,
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
  const scope = `https://bench-burst-${task.run}.example.net/.default`
  const before = await emulator.counters()
  const t0 = process.hrtime.bigint()
  const settled = await Promise.allSettled(Array.from({ length: CALLERS }, () => subject.get(scope)))
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
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
  const emulator = await startEmulatorProcess()
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
        throw new Error(`unknown scenario ${JSON.stringify(task)}`)
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
