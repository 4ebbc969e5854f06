/**
 * Simulated time for the scenarios whose real duration would be minutes or hours (refresh point,
 * outage, failure schedules, hang). `@sinonjs/fake-timers` replaces `Date`, `setTimeout`,
 * `setInterval` (and their clears) in the scenario process; sockets, `setImmediate`,
 * `process.nextTick` and `performance.now()` stay real. Both subjects run on the same clock, so
 * their retry delays, timeouts and refresh points are all simulated the same way.
 *
 * {@link drive} moves the clock the way an idle process would live it: it lets real I/O settle
 * (a real pause of `quietMs`), then jumps to the next timer and fires it, and so on. Time spent on
 * I/O is not counted (the endpoint answers at once on loopback); time the client spends waiting on
 * its own timers (retry delays, attempt timeouts, deadlines) is counted exactly.
 *
 * @module
 */
import { install } from '@sinonjs/fake-timers'
import dc from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

// Captured before any clock is installed: the real timers, for the pauses that let I/O run.
const realSetTimeout = globalThis.setTimeout
const realDelay = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms))
const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * HTTP requests of this process that have started and not ended: undici's (keyless) through its
 * `undici:request:*` diagnostics channels, `node:http`'s (`@azure/identity`) through
 * `http.client.request.start` and the request's `close` event.
 */
const inFlight = new Map<object, number>() // request → performance.now() at its start
/** `Date.now()` (the fake clock, once installed) at the start of each HTTP request. */
const starts: number[] = []
dc.subscribe('undici:request:create', (message) => {
  inFlight.set((message as { request: object }).request, performance.now())
  starts.push(Date.now())
})
const undiciEnd = (message: unknown): void => void inFlight.delete((message as { request: object }).request)
dc.subscribe('undici:request:trailers', undiciEnd)
dc.subscribe('undici:request:error', undiciEnd)
dc.subscribe('http.client.request.start', (message) => {
  const request = (message as { request: ClientRequest }).request
  inFlight.set(request, performance.now())
  starts.push(Date.now())
  request.once('close', () => inFlight.delete(request))
})

/** When each HTTP request of this process started (`Date.now()`, simulated once a clock is installed). */
export function requestStarts(): readonly number[] {
  return starts
}

/** How many HTTP requests are in flight in this process now. */
export function requestsInFlight(): number {
  return inFlight.size
}

/** Whether a request has been in flight for less than `ms` of real time. */
function youngRequest(ms: number): boolean {
  const now = performance.now()
  for (const startedAt of inFlight.values()) if (now - startedAt < ms) return true
  return false
}

/**
 * Lets the process do what it can without the clock moving: turns of the event loop, and real
 * time while an HTTP request is in flight, until it is `ioWaitRealMs` old (a request still
 * unanswered then is hung: it is left to the timers, which is what its client's timeouts are for).
 */
async function settleIo(ioWaitRealMs: number): Promise<void> {
  await macrotask()
  await macrotask()
  while (youngRequest(ioWaitRealMs)) await realDelay(1)
  await macrotask()
}

export type Clock = ReturnType<typeof install>

/**
 * Installs the fake clock at the real time now. With `followRealTime`, the fake clock also
 * advances by itself with real time (1 ms steps), so real I/O latency and fake timers agree.
 */
export function installClock(followRealTime = false): Clock {
  return install({
    now: Date.now(),
    toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    ...(followRealTime ? { shouldAdvanceTime: true, advanceTimeDelta: 1 } : {}),
  })
}

/** The fake time of the earliest pending timer, or undefined when none is pending. */
export function nextTimerAt(clock: Clock): number | undefined {
  const timers = (clock as unknown as { timers?: Map<number, { callAt: number }> }).timers
  let next: number | undefined
  for (const timer of timers?.values() ?? []) if (next === undefined || timer.callAt < next) next = timer.callAt
  return next
}

/** How a driven promise ended, in simulated time. */
export interface Driven<T> {
  /** False when it had not settled when the cap was reached. */
  settled: boolean
  value?: T
  error?: unknown
  /** Simulated ms from the start of the drive to the settlement (or to the cap). */
  simulatedMs: number
}

/** Options of {@link drive}. */
export interface DriveOptions {
  /** Simulated ms after which the drive stops and reports "not settled". */
  capMs: number
  /** Real ms to wait for an in-flight HTTP request before moving the clock anyway (default 250). */
  ioWaitRealMs?: number
  /**
   * Real ms to wait when no timer is pending within the cap (default 1000): then nothing but I/O
   * can settle the promise, and if none comes it would wait forever.
   */
  idleRealMs?: number
}

/**
 * Runs the clock until `work` settles or `capMs` of simulated time have passed: let I/O finish
 * (real time, clock still), then jump to the next timer and fire it, repeatedly. Returns how long
 * it took in simulated time.
 */
export async function drive<T>(clock: Clock, work: Promise<T>, options: DriveOptions): Promise<Driven<T>> {
  const ioWaitRealMs = options.ioWaitRealMs ?? 250
  const idleRealMs = options.idleRealMs ?? 1000
  const start = clock.now
  let done = false
  let endedAt = start
  const result: Driven<T> = { settled: false, simulatedMs: 0 }
  work.then(
    (value) => {
      done = true
      endedAt = clock.now
      result.value = value
    },
    (error: unknown) => {
      done = true
      endedAt = clock.now
      result.error = error
    },
  )
  for (;;) {
    await settleIo(ioWaitRealMs)
    if (done) break
    const next = nextTimerAt(clock)
    if (next === undefined || next - start > options.capMs) {
      // Only I/O could settle it now: give it real time, then call it unsettled.
      const until = performance.now() + idleRealMs
      while (!done && performance.now() < until) await realDelay(2)
      if (done) break
      clock.tick(Math.max(0, start + options.capMs - clock.now))
      result.simulatedMs = options.capMs
      return result
    }
    await clock.nextAsync()
  }
  result.settled = true
  result.simulatedMs = endedAt - start
  return result
}

/**
 * Advances the clock to `target`, firing every timer due before it one at a time, letting the I/O
 * each one starts (a background refresh) run first.
 */
export async function advanceTo(clock: Clock, target: number, ioWaitRealMs = 250): Promise<void> {
  for (;;) {
    await settleIo(ioWaitRealMs)
    const next = nextTimerAt(clock)
    if (next === undefined || next > target) break
    await clock.nextAsync()
  }
  if (clock.now < target) clock.tick(target - clock.now)
  await settleIo(ioWaitRealMs)
}

/** A real pause (not affected by the fake clock). */
export { realDelay }
