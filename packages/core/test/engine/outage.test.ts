import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import type { ProviderEvents } from '../../src/events/provider-events.js'
import { failure, fakeSource, fixedRandom, HOUR } from './fake-source.js'

const SCOPE = 'https://management.azure.com/.default'
const down = () => failure('network')

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createTokenProvider(): outage', () => {
  it('serves the current token through an outage until the expiry margin, and never after (rules 6, 7)', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0), expiryMarginMs: 60_000, retry: { retries: 0 } })
    const failures: ProviderEvents['refresh-failure'][] = []
    provider.on('refresh-failure', (e) => failures.push(e))
    const token = await provider.getToken(SCOPE)
    source.fallback = down() // the endpoint is down from here on (hour 0 + ε)

    // Every call every 10 minutes up to the margin is served the cached token, with no waiting.
    for (let t = 10 * 60_000; t < 24 * HOUR - 60_000; t += 10 * 60_000) {
      await vi.advanceTimersByTimeAsync(10 * 60_000)
      const served = await provider.getToken(SCOPE)
      expect(served.token).toBe(token.token)
    }
    expect(failures.length).toBeGreaterThan(3)
    expect(failures.every((f) => f.servingCachedToken && f.code === 'network')).toBe(true)
    expect(provider.stats().scopes[0]?.state).toBe('degraded')

    vi.setSystemTime(token.expiresAt - 60_000) // the margin: the token is no longer usable
    await expect(provider.getToken(SCOPE)).rejects.toMatchObject({ code: 'network' })
    vi.setSystemTime(token.expiresAt + 1)
    await expect(provider.getToken(SCOPE)).rejects.toMatchObject({ code: 'network' })
    expect(provider.peekToken(SCOPE)).toBeUndefined()
    await provider.close()
  })

  it('retries in the background with growing, capped delays and an event each time', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, {
      random: fixedRandom(0.5),
      retry: { retries: 0 },
      coolDownMs: 10_000,
      maxCoolDownMs: 80_000,
    })
    const retryAts: number[] = []
    provider.on('refresh-failure', (e) => retryAts.push(e.retryAt - Date.now()))
    await provider.getToken(SCOPE)
    source.fallback = down()
    await vi.advanceTimersByTimeAsync(12 * HOUR + 10 * 60_000)
    // equal jitter at 0.5 → 75 % of 10 s, 20 s, 40 s, 80 s, then capped at 80 s
    expect(retryAts.slice(0, 6)).toEqual([7500, 15_000, 30_000, 60_000, 60_000, 60_000])
    await provider.close()
  })

  it('recovers when the endpoint comes back, and closes the breaker', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0), retry: { retries: 0 } })
    const seen: string[] = []
    provider.on('breaker-open', () => seen.push('open'))
    provider.on('breaker-close', () => seen.push('close'))
    const first = await provider.getToken(SCOPE)
    source.fallback = down()
    await vi.advanceTimersByTimeAsync(12 * HOUR + 60_000)
    source.fallback = { lifetimeMs: 24 * HOUR }
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(seen).toEqual(['open', 'close'])
    expect((await provider.getToken(SCOPE)).token).not.toBe(first.token)
    expect(provider.stats().scopes[0]?.state).toBe('fresh')
    await provider.close()
  })

  it('fails fast during the cool-down when no token is usable, then lets one probe through (rule 7)', async () => {
    const source = fakeSource()
    source.fallback = failure('rejected', 400)
    const provider = createTokenProvider(source, { random: fixedRandom(0), coolDownMs: 5000 })
    await expect(provider.getToken(SCOPE)).rejects.toMatchObject({ code: 'rejected', status: 400 })
    expect(source.requests).toHaveLength(1)
    // 100 callers during the cool-down: all fail at once with the last code, none reaches the endpoint.
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => provider.getToken(SCOPE)))
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'rejected')).toBe(true)
    expect(source.requests).toHaveLength(1)
    expect(provider.stats().scopes[0]?.state).toBe('failing')

    await vi.advanceTimersByTimeAsync(2500) // equal jitter with random 0: half of 5 s
    source.fallback = { lifetimeMs: HOUR }
    await expect(provider.getToken(SCOPE)).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(source.requests).toHaveLength(2)
    await provider.close()
  })

  it('never produces an unhandled rejection from background work, even across expiry while idle (rule 11)', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const source = fakeSource()
      source.fallback = { lifetimeMs: HOUR }
      const provider = createTokenProvider(source, { random: fixedRandom(0), retry: { retries: 1 } })
      provider.on('refresh-failure', () => {
        throw new Error('a listener that throws must not hurt either')
      })
      await provider.getToken(SCOPE)
      source.fallback = down()
      await vi.advanceTimersByTimeAsync(3 * HOUR) // refreshes fail, the token expires, nobody calls
      vi.useRealTimers() // unhandled rejections are reported on a later macrotask
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      expect(provider.stats().refreshFailures).toBeGreaterThan(0)
      await provider.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })
})
