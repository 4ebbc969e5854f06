/**
 * Timing and allocation loops shared by the scenarios. Every loop awaits one call at a time
 * (`await get(scope)`), as an application awaiting a token before each request would.
 *
 * @module
 */
import { performance, PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'

/** One cached-token lookup under test: returns a promise of the token for `scope`. */
export type Get = (scope: string) => Promise<unknown>

/** Sequential awaited hits on `scope`, `n` times. */
export async function hits(get: Get, scope: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await get(scope)
}

/** Sequential awaited hits over `scopes`, round-robin, `n` times. */
export async function hitsOver(get: Get, scopes: readonly string[], n: number): Promise<void> {
  const length = scopes.length
  for (let i = 0; i < n; i++) await get(scopes[i % length] as string)
}

/**
 * Runs `body(n)` repeatedly for about `ms` milliseconds (JIT warm-up), doubling `n` while a batch
 * is short. Returns the last `n` and the lowest ns per op among batches of at least 2 ms: early
 * batches are slowed by compilation and GC, so the lowest is the sane figure to size batches by.
 */
export async function warmUp(body: (n: number) => Promise<void>, ms: number, startN = 256): Promise<{ n: number; nsPerOp: number }> {
  const until = performance.now() + ms
  let n = startN
  let best = Number.POSITIVE_INFINITY
  let last = Number.NaN
  do {
    const t0 = process.hrtime.bigint()
    await body(n)
    const elapsed = Number(process.hrtime.bigint() - t0)
    last = elapsed / n
    if (elapsed >= 2e6) best = Math.min(best, last)
    if (elapsed < ms * 1e6 * 0.25) n *= 2
  } while (performance.now() < until)
  return { n, nsPerOp: Number.isFinite(best) ? best : last }
}

/** Ops per batch so that one batch lasts about `batchMs`, rounded up to a multiple of `multiple`. */
export function batchSize(nsPerOp: number, batchMs: number, multiple = 1): number {
  const n = Math.max(multiple, Math.ceil((batchMs * 1e6) / Math.max(nsPerOp, 1)))
  return Math.ceil(n / multiple) * multiple
}

/** Times one batch of `n` ops; returns ns per op. */
export async function timeBatch(body: (n: number) => Promise<void>, n: number): Promise<number> {
  const t0 = process.hrtime.bigint()
  await body(n)
  return Number(process.hrtime.bigint() - t0) / n
}

/** Counts garbage collections as the `gc` performance entries report them. */
export function gcCounter(): { count(): Promise<number>; stop(): void } {
  let seen = 0
  const observer = new PerformanceObserver((list) => {
    seen += list.getEntries().length
  })
  observer.observe({ entryTypes: ['gc'] })
  return {
    // Entries are delivered asynchronously: let the event loop turn before reading.
    async count() {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return seen
    },
    stop: () => observer.disconnect(),
  }
}

/** What one allocation measurement found. */
export interface AllocSample {
  /** Heap bytes per hit, or undefined when a GC ran inside the loop (then the sample is void). */
  bytesPerHit: number | undefined
  hits: number
  gcInLoop: boolean
}

/**
 * Heap growth per hit over `n` hits: `gc()` twice, read `used_heap_size`, run the hits, read it
 * again, divide. Needs `--expose-gc` and a new space large
 * enough that no scavenge runs inside the loop; a GC inside is detected and voids the sample.
 */
export async function allocPerHit(body: (n: number) => Promise<void>, n: number, counter: { count(): Promise<number> }): Promise<AllocSample> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('allocation is measured with --expose-gc')
  gc()
  gc()
  const gcBefore = await counter.count()
  const before = v8.getHeapStatistics().used_heap_size
  await body(n)
  const after = v8.getHeapStatistics().used_heap_size
  const gcAfter = await counter.count()
  const gcInLoop = gcAfter !== gcBefore
  return { bytesPerHit: gcInLoop ? undefined : (after - before) / n, hits: n, gcInLoop }
}

/** `callers` concurrent loops of awaited hits on `scope`, `n` hits in all (n is a multiple of callers). */
export async function concurrentHits(get: Get, scope: string, n: number, callers: number): Promise<void> {
  const each = Math.ceil(n / callers)
  const loops: Promise<void>[] = []
  for (let c = 0; c < callers; c++) loops.push(hits(get, scope, each))
  await Promise.all(loops)
}

/**
 * Latency of single calls, ns: `callers` concurrent loops of awaited hits, each call timed with
 * `performance.now()` (its own cost, some 30–60 ns, is included: compare with the harness row).
 * Returns `samples` latencies in call order, in a typed array so the samples themselves allocate nothing.
 */
export async function callLatencies(get: Get, scope: string, samples: number, callers: number): Promise<Float64Array> {
  const out = new Float64Array(samples)
  let next = 0
  const loop = async (): Promise<void> => {
    while (next < samples) {
      const i = next++
      const t0 = performance.now()
      await get(scope)
      out[i] = (performance.now() - t0) * 1e6
    }
  }
  const loops: Promise<void>[] = []
  for (let c = 0; c < callers; c++) loops.push(loop())
  await Promise.all(loops)
  return out
}
