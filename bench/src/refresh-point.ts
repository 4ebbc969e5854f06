/**
 * The refresh-point scenario (`refresh`): 64 callers × 10 calls across a token's refresh point,
 * with 100 ms of endpoint latency. Simulated clock that follows real time (see fake-clock.ts):
 * after the first token, the clock jumps to 0.3 s before the subject's own refresh point; from
 * there it runs at real speed, so the refresh (a timer, or the first call past the point) meets
 * real I/O at the emulator's real 100 ms latency.
 *
 * @module
 */
import { performance } from 'node:perf_hooks'
import type { EmulatorProcess } from './emulator-client.js'
import { installClock, realDelay } from './fake-clock.js'
import { percentile } from './stats.js'
import { HOT_SCOPE } from './subjects.js'
import { describeFailure, realNow, timedSubject, type Contender } from './timed-subjects.js'

export const REFRESH_CALLERS = 64
export const REFRESH_CALLS_PER_CALLER = 10
/** Endpoint latency during the scenario (real time). */
export const REFRESH_LATENCY_MS = 100
/** A call slower than this is "slow". */
export const SLOW_CALL_MS = 50
/**
 * The callers start this long before the refresh point, and pause this long between two calls
 * (simulated time, which here runs at real speed): 10 calls span about 1.5 s, from 0.3 s before
 * the point to 1.2 s after. MSAL keeps its refresh point in whole seconds, so a window of less
 * than a second after the point could end before MSAL sees it passed.
 */
const LEAD_MS = 300
const SPACING_MS = 150

export interface RefreshResult {
  kind: 'refresh'
  callers: number
  calls: number
  /** Callers with at least one call slower than {@link SLOW_CALL_MS}. */
  slowCallers: number
  slowCalls: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  rejected: number
  firstError: string | undefined
  /** Token requests the emulator saw from the callers' start until 500 ms after the last call. */
  upstreamRequests: number
  /** The refresh point the subject reported, ms after the first token. */
  refreshAfterMs: number
}

export async function refreshPoint(task: { subject: Contender }, emulator: EmulatorProcess): Promise<RefreshResult> {
  const clock = installClock(true)
  await emulator.control({ latencyMs: REFRESH_LATENCY_MS })
  const subject = await timedSubject(task.subject, emulator.url)
  const obtainedAt = Date.now()
  const first = await subject.get(HOT_SCOPE)
  // keyless reports its jittered refresh point; @azure/identity its `refreshAfterTimestamp`
  // (MSAL's refreshOn, half the lifetime for a 24 h token).
  const point = first.refreshAt ?? obtainedAt + (first.expiresAt - obtainedAt) / 2
  clock.tick(Math.max(0, point - LEAD_MS - clock.now))
  // The emulator's clock follows, so tokens minted from now on start at the simulated time.
  await emulator.control({ clockOffsetMs: Date.now() - realNow() })
  const before = (await emulator.counters()).tokenRequests
  const latencies = new Float64Array(REFRESH_CALLERS * REFRESH_CALLS_PER_CALLER)
  let rejected = 0
  let firstError: string | undefined
  const caller = async (c: number): Promise<void> => {
    for (let i = 0; i < REFRESH_CALLS_PER_CALLER; i++) {
      const t0 = performance.now()
      try {
        await subject.get(HOT_SCOPE)
      } catch (error) {
        rejected++
        firstError ??= describeFailure(error)
      }
      latencies[c * REFRESH_CALLS_PER_CALLER + i] = performance.now() - t0
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS))
    }
  }
  await Promise.all(Array.from({ length: REFRESH_CALLERS }, (_, c) => caller(c)))
  await realDelay(500) // a background refresh started late lands before the count
  const upstreamRequests = (await emulator.counters()).tokenRequests - before
  await subject.close()
  clock.uninstall()
  let slowCallers = 0
  for (let c = 0; c < REFRESH_CALLERS; c++) {
    if (latencies.subarray(c * REFRESH_CALLS_PER_CALLER, (c + 1) * REFRESH_CALLS_PER_CALLER).some((ms) => ms > SLOW_CALL_MS)) slowCallers++
  }
  return {
    kind: 'refresh',
    callers: REFRESH_CALLERS,
    calls: latencies.length,
    slowCallers,
    slowCalls: latencies.filter((ms) => ms > SLOW_CALL_MS).length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    rejected,
    firstError,
    upstreamRequests,
    refreshAfterMs: point - obtainedAt,
  }
}
