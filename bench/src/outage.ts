/**
 * The outage scenario (`outage`): a 24 h token, then the endpoint goes down (every token request
 * answered 503, or reset) shortly before the subject's refresh point, at hour 12 at the latest;
 * calls are then made from hour 12 until a minute before the token expires. Simulated clock
 * (fake-clock.ts): hours pass in a few seconds, every timer of the subject fires at its simulated
 * time, and a call's latency is the simulated time it took.
 *
 * @module
 */
import type { FaultStep } from '@keyless/emulator'
import type { EmulatorProcess } from './emulator-client.js'
import { advanceTo, drive, installClock } from './fake-clock.js'
import { BENCH_SEED, mulberry32 } from './prng.js'
import { percentile } from './stats.js'
import { HOT_SCOPE } from './subjects.js'
import { describeFailure, realNow, timedSubject, type Contender } from './timed-subjects.js'

import { OUTAGE_FAULTS } from './constants.js'

export type OutageFault = (typeof OUTAGE_FAULTS)[number]
const STEPS: Record<OutageFault, FaultStep> = { '503': { status: 503 }, reset: { kind: 'reset' } }

const HOUR = 3_600_000
const MINUTE = 60_000
/**
 * When the calls are made, ms after the first token: every 30 min from hour 12 to hour 23.5, then
 * 23:50, 23:56 and 23:59 (the token expires at 24:00).
 */
export const OUTAGE_CALL_TIMES: readonly number[] = [
  ...Array.from({ length: 24 }, (_, i) => 12 * HOUR + i * 30 * MINUTE),
  23 * HOUR + 50 * MINUTE,
  23 * HOUR + 56 * MINUTE,
  23 * HOUR + 59 * MINUTE,
]
/** A call that has not settled after this much simulated time is counted as not served. */
const CALL_CAP_MS = 10 * MINUTE

export interface OutageResult {
  kind: 'outage'
  fault: OutageFault
  calls: number
  /** Calls that resolved with a token that had not expired. */
  served: number
  /** Simulated latency of the calls, ms. */
  p50Ms: number
  maxMs: number
  /** Call times (h after the first token) of the calls not served, with why. */
  failures: string[]
  /** Token requests the emulator saw from the start of the outage to the last call. */
  upstreamRequests: number
  /** When the endpoint went down, h after the first token. */
  outageFromH: number
  refreshAfterH: number
}

export async function outage(task: { subject: Contender; fault: OutageFault }, emulator: EmulatorProcess): Promise<OutageResult> {
  // @azure/identity's retry jitter comes from Math.random: seeded, so its delays repeat run to run.
  Math.random = mulberry32(BENCH_SEED + 1)
  const clock = installClock()
  await emulator.control({ clockOffsetMs: Date.now() - realNow() })
  const subject = await timedSubject(task.subject, emulator.url)
  const obtainedAt = Date.now()
  const first = await drive(clock, subject.get(HOT_SCOPE), { capMs: CALL_CAP_MS })
  if (first.value === undefined) throw new Error(`outage: no first token (${describeFailure(first.error)})`)
  const point = first.value.refreshAt ?? obtainedAt + (first.value.expiresAt - obtainedAt) / 2
  // Down from a minute before the refresh point (hour 12 at the latest): keyless's jittered point
  // comes before hour 12, and an outage that starts after it would test nothing.
  const outageAt = Math.min(point, obtainedAt + 12 * HOUR) - MINUTE
  await advanceTo(clock, outageAt)
  await emulator.control({ always: STEPS[task.fault] })
  const before = (await emulator.counters()).tokenRequests
  const latencies: number[] = []
  const failures: string[] = []
  let served = 0
  for (const at of OUTAGE_CALL_TIMES) {
    await advanceTo(clock, obtainedAt + at)
    const call = await drive(clock, subject.get(HOT_SCOPE), { capMs: CALL_CAP_MS })
    latencies.push(call.simulatedMs)
    const hours = (at / HOUR).toFixed(2)
    if (call.value !== undefined && call.value.expiresAt > Date.now()) served++
    else failures.push(`${hours} h: ${call.settled ? (call.value === undefined ? describeFailure(call.error) : 'expired token') : 'not settled'}`)
  }
  const upstreamRequests = (await emulator.counters()).tokenRequests - before
  await subject.close()
  clock.uninstall()
  return {
    kind: 'outage',
    fault: task.fault,
    calls: OUTAGE_CALL_TIMES.length,
    served,
    p50Ms: percentile(latencies, 50),
    maxMs: Math.max(...latencies),
    failures,
    upstreamRequests,
    outageFromH: (outageAt - obtainedAt) / HOUR,
    refreshAfterH: (point - obtainedAt) / HOUR,
  }
}
