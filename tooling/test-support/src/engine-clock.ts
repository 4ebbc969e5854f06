import { setTimeout as realDelay } from 'node:timers/promises'
import { vi } from 'vitest'

/**
 * Fakes only the clock the engine schedules with (`setTimeout`, `Date`), so retry delays and
 * deadlines run on fake time while sockets to the emulator stay real. `node:timers/promises` stays
 * real: `settle` waits on it so a loopback round trip (well under 1 ms) completes between steps.
 */
export function useEngineFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
}

/**
 * Advances fake time in steps of `stepMs`, with a real 1 ms pause before each so loopback I/O in
 * flight lands first (100 ms of fake time per real millisecond: a 5 s attempt timeout is 50 ms of
 * real time, far above a loopback round trip), until `promise` settles.
 */
export async function settle<T>(promise: Promise<T>, options: { stepMs?: number; maxMs?: number } = {}): Promise<T> {
  const stepMs = options.stepMs ?? 100
  const maxMs = options.maxMs ?? 300_000
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  for (let elapsed = 0; !done && elapsed < maxMs; elapsed += stepMs) {
    await realDelay(1)
    await vi.advanceTimersByTimeAsync(stepMs)
  }
  return promise
}
