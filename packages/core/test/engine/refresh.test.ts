import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { refreshAt } from '../../src/engine/refresh-at.js'
import { fakeSource, fixedRandom, HOUR } from './fake-source.js'

const SCOPE = 'https://storage.azure.com/.default'
const MIN = 60_000

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('refreshAt()', () => {
  const at = (token: { expiresAt: number; refreshAt?: number }, jitterRatio = 0, random = fixedRandom(0)) =>
    refreshAt(0, { token: 't', ...token }, { jitterRatio, latestAt: Number.POSITIVE_INFINITY, random })

  it('uses the server refresh_in when given', () => {
    expect(at({ expiresAt: 24 * HOUR, refreshAt: 3 * HOUR })).toBe(3 * HOUR)
  })
  it('refreshes at half-life for lifetimes over 2 h', () => {
    expect(at({ expiresAt: 24 * HOUR })).toBe(12 * HOUR)
    expect(at({ expiresAt: 2 * HOUR + 2000 })).toBe(HOUR + 1000)
  })
  it('refreshes 5 min before expiry for lifetimes up to 2 h', () => {
    expect(at({ expiresAt: 2 * HOUR })).toBe(2 * HOUR - 5 * MIN)
    expect(at({ expiresAt: HOUR })).toBe(55 * MIN)
  })
  it('refreshes at half-life when the lifetime is under 10 min', () => {
    expect(at({ expiresAt: 6 * MIN })).toBe(3 * MIN)
  })
  it('pulls the point earlier by up to jitterRatio of the lifetime', () => {
    expect(at({ expiresAt: 24 * HOUR }, 0.05, fixedRandom(0.999999))).toBeCloseTo(12 * HOUR - 0.05 * 24 * HOUR, -2)
    expect(at({ expiresAt: 24 * HOUR }, 0.05, fixedRandom(0.5))).toBe(12 * HOUR - 0.025 * 24 * HOUR)
  })
  it('spreads replicas apart with a real random source', () => {
    const points = new Set(Array.from({ length: 20 }, () => refreshAt(0, { token: 't', expiresAt: 24 * HOUR }, { jitterRatio: 0.05, latestAt: Infinity })))
    expect(points.size).toBeGreaterThan(15)
    for (const p of points) expect(p).toBeGreaterThanOrEqual(12 * HOUR - 0.05 * 24 * HOUR)
  })
  it('never goes past the end of usability', () => {
    expect(refreshAt(0, { token: 't', expiresAt: 24 * HOUR, refreshAt: 23 * HOUR }, { jitterRatio: 0, latestAt: 20 * HOUR })).toBe(20 * HOUR)
  })
})

describe('createTokenProvider(): background refresh', () => {
  it('refreshes a token of 60 days at its half-life, not at once (a delay beyond setTimeout\'s 24.8-day range)', async () => {
    const source = fakeSource()
    source.fallback = { lifetimeMs: 60 * 24 * HOUR }
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(1000)
    expect(source.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(30 * 24 * HOUR - 2000)
    expect(source.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(source.requests).toHaveLength(2)
    await provider.close()
  })
  it('refreshes a token in use at its refresh point with no call arriving (rule 5)', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const first = await provider.getToken(SCOPE)
    expect(first.refreshAt - Date.now()).toBe(12 * HOUR)
    await vi.advanceTimersByTimeAsync(12 * HOUR)
    expect(source.requests).toHaveLength(2)
    const second = provider.peekToken(SCOPE)
    expect(second?.token).not.toBe(first.token)
    await provider.close()
  })

  it('never makes a caller holding a usable token wait for the refresh', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const first = await provider.getToken(SCOPE)
    source.script.push({ latencyMs: 10_000 })
    await vi.advanceTimersByTimeAsync(12 * HOUR) // the refresh starts and is now in flight
    expect(provider.stats().inflight).toBe(1)
    let settled = false
    const during = provider.getToken(SCOPE).then((t) => {
      settled = true
      return t
    })
    await Promise.resolve()
    await Promise.resolve()
    expect(settled).toBe(true) // no timer had to run: it did not wait
    expect((await during).token).toBe(first.token)
    await vi.advanceTimersByTimeAsync(10_000)
    expect((await provider.getToken(SCOPE)).token).not.toBe(first.token)
    await provider.close()
  })

  it('lets an unused token lapse instead of refreshing it forever', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(12 * HOUR) // used once: refreshed once
    await vi.advanceTimersByTimeAsync(48 * HOUR) // nobody used the new token
    expect(source.requests).toHaveLength(2)
    await provider.close()
  })

  it('refreshes in the background when a call arrives past the refresh point of an idle token', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(12 * HOUR) // background refresh #2 (token in use)
    await vi.advanceTimersByTimeAsync(13 * HOUR) // token #2 unused: not refreshed at its point
    expect(source.requests).toHaveLength(2)
    const served = await provider.getToken(SCOPE) // still usable: served at once, refresh starts
    expect(served.token).toContain('tok-2')
    await vi.advanceTimersByTimeAsync(0)
    expect(source.requests).toHaveLength(3)
    expect((await provider.getToken(SCOPE)).token).toContain('tok-3')
    await provider.close()
  })

  it('honours the server refresh point', async () => {
    const source = fakeSource()
    source.fallback = { lifetimeMs: 24 * HOUR, refreshInMs: HOUR }
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(source.requests).toHaveLength(2)
    await provider.close()
  })
})
