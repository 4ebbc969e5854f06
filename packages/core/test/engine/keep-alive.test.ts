import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { failure, fakeSource, fixedRandom, HOUR } from './fake-source.js'

const SCOPE = 'https://vault.azure.net/.default'

type Timer = ReturnType<typeof setTimeout>

/**
 * Pending timers, tracked through the fake clock: `keepsProcessAlive()` is what Node's event loop
 * would see, whether any pending timer is ref'd. (A cleared timer may report `hasRef()`, since
 * `clearUnrefTimeout` refs a timer before clearing it, so only pending ones count.)
 */
function trackTimers() {
  const pending = new Set<Timer>()
  const fakeSetTimeout = globalThis.setTimeout
  const fakeClearTimeout = globalThis.clearTimeout
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer: Timer = fakeSetTimeout(() => {
      pending.delete(timer)
      callback(...args)
    }, ms)
    pending.add(timer)
    return timer
  }) as typeof setTimeout)
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer) => {
    pending.delete(timer as Timer)
    fakeClearTimeout(timer)
  })
  return { keepsProcessAlive: () => [...pending].some((timer) => timer.hasRef()) }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('createTokenProvider(): what keeps the process alive', () => {
  it('keeps the process alive while a caller waits through retry delays, and lets go once it settles', async () => {
    const timers = trackTimers()
    const source = fakeSource()
    source.script.push(failure('endpoint-unavailable', 503), failure('endpoint-unavailable', 503))
    const provider = createTokenProvider(source, { random: fixedRandom(1) })
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(10) // in the first retry delay (1 s)
    expect(source.requests).toHaveLength(1)
    expect(timers.keepsProcessAlive()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000) // in the second (2 s)
    expect(source.requests).toHaveLength(2)
    expect(timers.keepsProcessAlive()).toBe(true)
    await vi.advanceTimersByTimeAsync(2000)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(vi.getTimerCount()).toBe(1) // the refresh timer
    expect(timers.keepsProcessAlive()).toBe(false)
    await provider.close()
  })

  it('never keeps the process alive for background work: refresh timers and a background refresh that retries', async () => {
    const timers = trackTimers()
    const source = fakeSource()
    source.script.push({ lifetimeMs: HOUR, refreshInMs: HOUR - 60_000 })
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    expect(timers.keepsProcessAlive()).toBe(false) // the refresh timer
    source.script.push(failure('throttled', 429, 60_000))
    await vi.advanceTimersByTimeAsync(HOUR - 60_000) // the background refresh is in its 60 s delay
    expect(source.requests).toHaveLength(2)
    expect(provider.stats().inflight).toBe(1)
    expect(timers.keepsProcessAlive()).toBe(false)
    await provider.close()
  })

  it('keeps the process alive for a caller that joins a background refresh, and lets go when that caller aborts', async () => {
    const timers = trackTimers()
    const source = fakeSource()
    source.script.push({ lifetimeMs: HOUR, refreshInMs: HOUR - 60_000 }, failure('throttled', 429, 60_000))
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(HOUR - 60_000 + 30_000) // refresh in its delay; the token's margin reached
    expect(provider.peekToken(SCOPE)).toBeUndefined()
    expect(timers.keepsProcessAlive()).toBe(false)

    const controller = new AbortController()
    const leaving = provider.getToken(SCOPE, { signal: controller.signal })
    expect(timers.keepsProcessAlive()).toBe(true)
    controller.abort()
    await expect(leaving).rejects.toMatchObject({ code: 'aborted' })
    expect(timers.keepsProcessAlive()).toBe(false)

    const staying = provider.getToken(SCOPE)
    expect(timers.keepsProcessAlive()).toBe(true)
    await vi.advanceTimersByTimeAsync(30_000)
    await expect(staying).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(source.requests).toHaveLength(3) // the caller joined the refresh: no fetch of its own
    expect(timers.keepsProcessAlive()).toBe(false)
    await provider.close()
  })

  it('keeps the process alive while a claims challenge is fetched', async () => {
    const timers = trackTimers()
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(1) })
    await provider.getToken(SCOPE)
    source.script.push(failure('endpoint-unavailable', 503))
    const pending = provider.getToken(SCOPE, { claims: '{"access_token":{}}' })
    await vi.advanceTimersByTimeAsync(10)
    expect(timers.keepsProcessAlive()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(timers.keepsProcessAlive()).toBe(false)
    await provider.close()
  })
})
