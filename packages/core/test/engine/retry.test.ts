import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import type { ProviderEvents } from '../../src/events/provider-events.js'
import { failure, fakeSource, fixedRandom, TEST_POLICY } from './fake-source.js'

const SCOPE = 'https://vault.azure.net/.default'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

function recordRetries(provider: ReturnType<typeof createTokenProvider>) {
  const retries: ProviderEvents['retry'][] = []
  provider.on('retry', (e) => retries.push(e))
  return retries
}

describe('createTokenProvider(): retries per fetch (rule 8)', () => {
  it('retries retryable failures with full-jitter exponential delays, then succeeds', async () => {
    const source = fakeSource()
    source.script.push(failure('endpoint-unavailable', 500), failure('network'), failure('endpoint-unavailable', 503))
    const provider = createTokenProvider(source, { random: fixedRandom(0.5) })
    const retries = recordRetries(provider)
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(10_000)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(source.requests).toHaveLength(4)
    // base 1 s, ×2 per retry, uniform in [0, ceiling] → half the ceiling at random 0.5
    expect(retries.map((r) => r.delayMs)).toEqual([500, 1000, 2000])
    await provider.close()
  })

  it('does not retry a non-retryable status', async () => {
    const source = fakeSource()
    source.script.push(failure('rejected', 400))
    const provider = createTokenProvider(source)
    await expect(provider.getToken(SCOPE)).rejects.toMatchObject({ code: 'rejected', status: 400, retryable: false })
    expect(source.requests).toHaveLength(1)
    await provider.close()
  })

  it('gives up after the policy retries with the last error code', async () => {
    const source = fakeSource()
    source.fallback = failure('throttled', 429)
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const pending = provider.getToken(SCOPE)
    pending.catch(() => {})
    await vi.advanceTimersByTimeAsync(60_000)
    await expect(pending).rejects.toMatchObject({ code: 'throttled', status: 429 })
    expect(source.requests).toHaveLength(1 + TEST_POLICY.retries)
    await provider.close()
  })

  it('waits at least Retry-After before retrying a 429', async () => {
    const source = fakeSource()
    source.script.push(failure('throttled', 429, 7000))
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const retries = recordRetries(provider)
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(6999)
    expect(source.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(source.requests).toHaveLength(2)
    await expect(pending).resolves.toBeDefined()
    expect(retries[0]?.delayMs).toBe(7000)
    await provider.close()
  })

  it('keeps retrying IMDS 410 for its 70 s window beyond the retry count', async () => {
    const source = fakeSource()
    source.fallback = failure('endpoint-unavailable', 410)
    const provider = createTokenProvider(source, { random: fixedRandom(1) }) // delays at their ceilings
    const pending = provider.getToken(SCOPE)
    pending.catch(() => {})
    await vi.advanceTimersByTimeAsync(69_000)
    expect(source.requests.length).toBeGreaterThan(1 + TEST_POLICY.retries)
    source.fallback = { lifetimeMs: 3_600_000 }
    await vi.advanceTimersByTimeAsync(10_000)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    await provider.close()
  })

  it('stops retrying 410 once its window has passed', async () => {
    const source = fakeSource()
    source.fallback = failure('endpoint-unavailable', 410)
    const provider = createTokenProvider(source, { random: fixedRandom(1) })
    const pending = provider.getToken(SCOPE)
    pending.catch(() => {})
    await vi.advanceTimersByTimeAsync(120_000)
    await expect(pending).rejects.toMatchObject({ code: 'endpoint-unavailable', status: 410 })
    const last = source.requests.length
    await vi.advanceTimersByTimeAsync(60_000)
    expect(source.requests).toHaveLength(last)
    await provider.close()
  })

  it('cuts off a silent attempt at attemptTimeoutMs and retries it as a timeout', async () => {
    const source = fakeSource()
    source.script.push('hang')
    const provider = createTokenProvider(source, { attemptTimeoutMs: 2000, random: fixedRandom(0) })
    const retries = recordRetries(provider)
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(2000)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(retries[0]?.code).toBe('timeout')
    expect(source.requests[0]?.signal.aborted).toBe(true)
    await provider.close()
  })

  it('settles a silent endpoint with deadline at deadlineMs', async () => {
    const source = fakeSource()
    source.fallback = 'hang'
    const provider = createTokenProvider(source, { attemptTimeoutMs: 60_000, deadlineMs: 3000 })
    const pending = provider.getToken(SCOPE)
    let settledAt = 0
    pending.catch(() => (settledAt = Date.now()))
    const start = Date.now()
    await vi.advanceTimersByTimeAsync(2999)
    expect(settledAt).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    await expect(pending).rejects.toMatchObject({ code: 'deadline' })
    expect(settledAt - start).toBe(3000)
    await provider.close()
  })
})
