/**
 * The failure-schedule scenario (`failures`): the endpoint answers every token request with one
 * failure (500, 503, 429 with `Retry-After: 3`, 429 without, 410, 404, a TCP reset), and, last, a
 * silent endpoint (the request hangs). For each: how many requests the subject sends, when, and
 * how long until `getToken` settles. Simulated clock (fake-clock.ts) for both subjects: retry
 * delays and timeouts are simulated exactly; the endpoint answers at once.
 *
 * @module
 */
import type { FaultStep } from '@keyless/emulator'
import type { EmulatorProcess } from './emulator-client.js'
import { drive, installClock, requestStarts } from './fake-clock.js'
import { BENCH_SEED, mulberry32 } from './prng.js'
import { describeFailure, timedSubject, type Contender } from './timed-subjects.js'

/** The schedules, in the order they run (the hang last: its request never ends). */
export const FAILURE_SCHEDULES = [
  { id: '500', label: '500 always', step: { status: 500 } },
  { id: '503', label: '503 always', step: { status: 503 } },
  { id: '429-retry-after', label: '429 with `Retry-After: 3` always', step: { status: 429, retryAfter: '3' } },
  { id: '429', label: '429 without `Retry-After` always', step: { status: 429 } },
  { id: '410', label: '410 always', step: { status: 410 } },
  { id: '404', label: '404 always', step: { status: 404 } },
  { id: 'reset', label: 'TCP reset always', step: { kind: 'reset' } },
  { id: 'hang', label: 'silent endpoint (hang)', step: { kind: 'hang' } },
] as const satisfies readonly { id: string; label: string; step: FaultStep }[]
export type FailureId = (typeof FAILURE_SCHEDULES)[number]['id']

/** keyless's deadline in the hang schedule (its default, 90 s, also holds for the others). */
export const HANG_DEADLINE_MS = 20_000
/** Simulated time after which a schedule counts as "did not settle". */
export const FAILURE_CAP_MS = { failure: 300_000, hang: 120_000 }

export interface ScheduleOutcome {
  id: FailureId
  /** Token requests the emulator saw. */
  attempts: number
  /** When each request started, simulated s after the call. */
  attemptAtS: number[]
  /** Simulated ms until getToken settled, or the cap. */
  simulatedMs: number
  settled: boolean
  /** The error's code (and status), or `token` when it resolved. */
  outcome: string
  /** Real ms the schedule took to simulate (raw record only). */
  realMs: number
}

export interface FailuresResult {
  kind: 'failures'
  schedules: ScheduleOutcome[]
}

export async function failures(task: { subject: Contender }, emulator: EmulatorProcess): Promise<FailuresResult> {
  // @azure/identity's retry jitter comes from Math.random: seeded, so its delays repeat run to run.
  Math.random = mulberry32(BENCH_SEED + 1)
  const clock = installClock()
  const schedules: ScheduleOutcome[] = []
  for (const schedule of FAILURE_SCHEDULES) {
    const hang = schedule.id === 'hang'
    // A fresh subject per schedule (a fresh breaker), and a scope no other schedule asked for
    // (MSAL's cache is process-wide).
    const subject = await timedSubject(task.subject, emulator.url, hang ? { deadlineMs: HANG_DEADLINE_MS } : {})
    const scope = `https://bench-failure-${schedule.id}.example.net/.default`
    await emulator.control({ clearFaults: true, always: schedule.step })
    const before = (await emulator.counters()).tokenRequests
    const startsBefore = requestStarts().length
    const t0 = Date.now()
    const real0 = performance.now()
    const result = await drive(clock, subject.get(scope), { capMs: hang ? FAILURE_CAP_MS.hang : FAILURE_CAP_MS.failure })
    const attempts = (await emulator.counters()).tokenRequests - before
    schedules.push({
      id: schedule.id,
      attempts,
      attemptAtS: requestStarts()
        .slice(startsBefore)
        .map((at) => Math.round((at - t0) / 100) / 10),
      simulatedMs: result.simulatedMs,
      settled: result.settled,
      realMs: Math.round(performance.now() - real0),
      outcome: !result.settled ? 'not settled' : result.value !== undefined ? 'token' : describeFailure(result.error),
    })
    if (!hang) await subject.close()
  }
  await emulator.control({ clearFaults: true })
  clock.uninstall()
  return { kind: 'failures', schedules }
}
