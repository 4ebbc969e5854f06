import { afterEach, describe, expect, it } from 'vitest'
import { IMDS_MAX_CONCURRENT_REQUESTS, IMDS_MAX_REQUESTS_PER_SECOND, startEmulator } from '../src/index.js'
import type { Emulator } from '../src/index.js'
import { imdsRequest } from './http-client.js'
import type { RawResponse } from './http-client.js'

let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

/** A clock the test moves by hand, so "the same second" does not depend on how fast the machine is. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let at = Date.UTC(2030, 0, 1)
  return { now: () => at, advance: (ms) => (at += ms) }
}

async function sequential(e: Emulator, count: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) statuses.push((await imdsRequest(e.port)).status)
  return statuses
}

describe('IMDS limits', () => {
  it('answer 429 without Retry-After past 20 requests in one second', async () => {
    const clock = manualClock()
    emulator = await startEmulator({ limits: true, now: clock.now })
    expect(await sequential(emulator, IMDS_MAX_REQUESTS_PER_SECOND)).toEqual(Array(20).fill(200))
    const throttled = await imdsRequest(emulator.port)
    expect(throttled.status).toBe(429)
    expect(throttled.headers['retry-after']).toBeUndefined()
    expect(throttled.json()).toMatchObject({ error: 'too_many_requests' })
  })

  it('admit requests again once the rolling second has passed', async () => {
    const clock = manualClock()
    emulator = await startEmulator({ limits: true, now: clock.now })
    await sequential(emulator, IMDS_MAX_REQUESTS_PER_SECOND)
    clock.advance(999)
    expect((await imdsRequest(emulator.port)).status).toBe(429)
    clock.advance(1)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('answer 429 to a sixth concurrent request', async () => {
    emulator = await startEmulator({ limits: true })
    emulator.faults.always({ kind: 'hang' })
    const hung: Promise<RawResponse>[] = []
    for (let i = 0; i < IMDS_MAX_CONCURRENT_REQUESTS; i++) {
      const request = imdsRequest(emulator.port)
      request.catch(() => undefined)
      hung.push(request)
    }
    await emulator.waitForRequests(IMDS_MAX_CONCURRENT_REQUESTS)
    expect((await imdsRequest(emulator.port)).status).toBe(429)
    expect(emulator.counters.maxConcurrent).toBe(IMDS_MAX_CONCURRENT_REQUESTS + 1)
  })

  it('are off by default', async () => {
    const clock = manualClock()
    emulator = await startEmulator({ now: clock.now })
    expect(emulator.limits).toBe(false)
    expect(new Set(await sequential(emulator, 30))).toEqual(new Set([200]))
    emulator.faults.always({ kind: 'hang' })
    const hung = Array.from({ length: 8 }, () => imdsRequest(emulator!.port))
    for (const request of hung) request.catch(() => undefined)
    await emulator.waitForRequests(38)
    expect(emulator.counters.maxConcurrent).toBe(8)
    expect(emulator.counters.byStatus[429]).toBeUndefined()
  })

  it('switch on and off at runtime with setLimits()', async () => {
    const clock = manualClock()
    emulator = await startEmulator({ now: clock.now })
    emulator.setLimits(true)
    expect(emulator.limits).toBe(true)
    await sequential(emulator, IMDS_MAX_REQUESTS_PER_SECOND)
    expect((await imdsRequest(emulator.port)).status).toBe(429)
    emulator.setLimits(false)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })
})
