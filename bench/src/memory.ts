/**
 * The memory scenarios (`memory`), in a process started with `--expose-gc`:
 * - `upstream`: 30 000 token requests (2 000 with `--quick`), 8 lanes on 8 scopes. Each subject goes upstream its own
 *   way: keyless by `getToken(scope, { forceRefresh: true })` with `forceRefreshIntervalMs: 0`
 *   (the rate limit off, so every call is a request); `@azure/identity` because the emulator's
 *   tokens live 240 s (the emulator's `expires-far` step with `lifetimeS: 240` on every answer), under MSAL's 5 min renewal offset, so MSAL treats every cached token as
 *   expired. Heap (after {@link READING_IDLE_MS} idle and two `gc()`) and RSS are read before the subject exists, after 10 000
 *   requests of warm-up (800 of 2 000 with `--quick`), then at 4 equal steps up to the total; the growth
 *   per request is the least-squares slope over those 5 readings.
 * - `hits`: 1000 scopes fetched (1000 requests), then 100 000 awaited hits round-robin over them
 *   (see {@link MEMORY_HITS}).
 *
 * @module
 */
import { setTimeout } from 'node:timers/promises'
import v8 from 'node:v8'
import type { EmulatorProcess } from './emulator-client.js'
import { mean } from './stats.js'
import { keylessProvider, azureCredential } from './subjects.js'
import type { Contender } from './timed-subjects.js'

export type MemoryPhase = 'upstream' | 'hits'
/** Lifetime of the emulator's tokens in the `upstream` phase (both subjects' processes), s. */
export const MEMORY_TOKEN_LIFETIME_S = 240
/**
 * Upstream requests, full and `--quick`, and how many of them warm up first (JIT, pools, caches):
 * heap is read after the warm-up and then four more times at equal steps up to the total. V8 is
 * still compiling a process's per-request code well past its 2 000th request (optimized code and
 * the lists it registers in grew by about 175 KB between the 10 000th and the 20 000th in a heap
 * snapshot diff), and it flushes the bytecode of start-up code at its fifth ordinary full
 * collection, at no fixed request count: with a warm-up of 2 000 of 10 000 requests, either one
 * moved the slope by about 30 B per request (docs/benchmarks.md, "Memory").
 */
export const MEMORY_UPSTREAM_REQUESTS = { full: 30_000, quick: 2_000 }
export const MEMORY_UPSTREAM_WARM_UP = { full: 10_000, quick: 800 }
/**
 * Idle time before each heap reading, ms. undici times every request with a `FastTimer` and drops
 * the finished ones from its list on its next tick (every 499 ms), so a reading taken straight
 * after a burst holds up to a second's worth of them (686 more, 49 KB, in one reading than in the
 * one before). Two ticks' wait lets the list empty.
 */
export const READING_IDLE_MS = 1_100
/**
 * Hits over the 1000 scopes, full and `--quick`. @azure/identity gets a tenth: MSAL looks a
 * token up by scanning its cache, so each of its hits over 1000 cached scopes costs about 1 ms
 * (the report shows the ns per hit), and 100 000 would take minutes.
 */
export const MEMORY_HITS = { full: 100_000, quick: 10_000 }
export const MEMORY_SCOPES = 1000
const LANES = 8

export interface MemorySample {
  /** Requests (upstream) or hits done when read. */
  at: number
  heapBytes: number
  rssBytes: number
}

export interface MemoryResult {
  kind: 'memory'
  phase: MemoryPhase
  /** Heap and RSS after gc with the modules loaded and no subject yet. */
  baseline: MemorySample
  samples: MemorySample[]
  /** Upstream: least-squares heap bytes per request over the samples from 2 000 on. */
  heapBytesPerRequest: number | undefined
  /** Hits: wall ns per hit of the hit loop. */
  hitNs: number | undefined
  /** Token requests the emulator saw during the measured part. */
  upstreamRequests: number
  failed: number
}

async function read(at: number): Promise<MemorySample> {
  await setTimeout(READING_IDLE_MS)
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('memory is measured with --expose-gc')
  gc()
  gc()
  return { at, heapBytes: v8.getHeapStatistics().used_heap_size, rssBytes: process.memoryUsage().rss }
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const mx = mean(points.map((p) => p.x))
  const my = mean(points.map((p) => p.y))
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.x - mx) * (p.y - my)
    den += (p.x - mx) ** 2
  }
  return num / den
}

type Call = (scope: string) => Promise<unknown>

async function makeCall(subject: Contender, url: string, phase: MemoryPhase): Promise<Call> {
  if (subject === 'keyless') {
    const provider = await keylessProvider(url, phase === 'upstream' ? { forceRefreshIntervalMs: 0 } : {})
    return phase === 'upstream' ? (scope) => provider.getToken(scope, { forceRefresh: true }) : (scope) => provider.getToken(scope)
  }
  const credential = await azureCredential(url)
  return (scope) => credential.getToken(scope)
}

export async function memory(task: { subject: Contender; phase: MemoryPhase; quick: boolean }, emulator: EmulatorProcess): Promise<MemoryResult> {
  const mode = task.quick ? 'quick' : 'full'
  const requests = MEMORY_UPSTREAM_REQUESTS[mode]
  const warmUp = MEMORY_UPSTREAM_WARM_UP[mode]
  const every = (requests - warmUp) / 4
  const hitCount = MEMORY_HITS[mode] / (task.subject === 'azure' ? 10 : 1)
  let hitNs: number | undefined
  // Load the subject's modules first, so the baseline holds the code and not the subject.
  if (task.subject === 'keyless') await import('@keyless/imds')
  else await import('@azure/identity')
  const baseline = await read(0)
  const call = await makeCall(task.subject, emulator.url, task.phase)
  const samples: MemorySample[] = []
  let failed = 0
  const guarded = async (scope: string): Promise<void> => {
    try {
      await call(scope)
    } catch {
      failed++
    }
  }
  if (task.phase === 'upstream') await emulator.control({ always: { kind: 'expires-far', lifetimeS: MEMORY_TOKEN_LIFETIME_S } })
  const before = (await emulator.counters()).tokenRequests
  if (task.phase === 'upstream') {
    const scopes = Array.from({ length: LANES }, (_, i) => `https://bench-memory-${i}.example.net/.default`)
    for (let done = 0; done < requests; ) {
      const until = done === 0 ? warmUp : done + every
      await Promise.all(
        scopes.map(async (scope, lane) => {
          for (let i = done + lane; i < until; i += LANES) await guarded(scope)
        }),
      )
      done = until
      samples.push(await read(done))
    }
  } else {
    const scopes = Array.from({ length: MEMORY_SCOPES }, (_, i) => `https://bench-memory-${String(i).padStart(4, '0')}.example.net/.default`)
    for (let i = 0; i < scopes.length; i += 50) await Promise.all(scopes.slice(i, i + 50).map(guarded))
    samples.push(await read(0))
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < hitCount; i++) await guarded(scopes[i % MEMORY_SCOPES] as string)
    hitNs = Number(process.hrtime.bigint() - t0) / hitCount
    samples.push(await read(hitCount))
  }
  const upstreamRequests = (await emulator.counters()).tokenRequests - before
  const steady = samples.filter((s) => s.at >= warmUp)
  return {
    kind: 'memory',
    phase: task.phase,
    baseline,
    samples,
    heapBytesPerRequest: task.phase === 'upstream' ? slope(steady.map((s) => ({ x: s.at, y: s.heapBytes }))) : undefined,
    hitNs,
    upstreamRequests,
    failed,
  }
}
