import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { failure, fakeSource, fixedRandom, HOUR } from './fake-source.js'

const SCOPE = 'https://vault.azure.net/.default'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createTokenProvider(): cancellation (rule 9)', () => {
  it('releases only the caller whose signal aborts; the shared fetch goes on for the others', async () => {
    const source = fakeSource()
    source.script.push({ latencyMs: 1000 })
    const provider = createTokenProvider(source)
    const controller = new AbortController()
    const a = provider.getToken(SCOPE, { signal: controller.signal })
    const b = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(100)
    controller.abort(new Error('client went away'))
    await expect(a).rejects.toMatchObject({ code: 'aborted' })
    await vi.advanceTimersByTimeAsync(900)
    await expect(b).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(source.requests).toHaveLength(1)
    expect(source.requests[0]?.signal.aborted).toBe(false)
    await provider.close()
  })

  it('rejects at once with aborted when the signal is already aborted', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await expect(provider.getToken(SCOPE, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' })
    expect(source.requests).toHaveLength(0)
    await provider.close()
  })
})

describe('createTokenProvider(): close()', () => {
  it('aborts running fetches, rejects their callers with closed, stops timers and closes the source', async () => {
    const source = fakeSource()
    source.script.push('hang')
    const provider = createTokenProvider(source)
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(10)
    await provider.close()
    await expect(pending).rejects.toMatchObject({ code: 'closed' })
    expect(source.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    await expect(provider.getToken(SCOPE)).rejects.toMatchObject({ code: 'closed' })
  })

  it('leaves no refresh timer behind for cached tokens', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await provider.getToken(SCOPE)
    await provider.getToken('https://storage.azure.com/.default')
    expect(vi.getTimerCount()).toBe(2)
    await provider.close()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(48 * HOUR)
    expect(source.requests).toHaveLength(2)
  })

  it('is idempotent and works with await using (Symbol.asyncDispose)', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await provider[Symbol.asyncDispose]()
    await provider.close()
    expect(source.closed).toBe(true)
  })
})

describe('createTokenProvider(): forceRefresh and claims (rule 10)', () => {
  it('coalesces concurrent forced refreshes into one fetch that replaces the token', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const first = await provider.getToken(SCOPE)
    source.script.push({ latencyMs: 50 })
    const forced = Array.from({ length: 10 }, () => provider.getToken(SCOPE, { forceRefresh: true }))
    await vi.advanceTimersByTimeAsync(50)
    const tokens = await Promise.all(forced)
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set([tokens[0]?.token]))
    expect(tokens[0]?.token).not.toBe(first.token)
    expect(source.requests).toHaveLength(2)
    expect((await provider.getToken(SCOPE)).token).toBe(tokens[0]?.token)
    await provider.close()
  })

  it('rate-limits forced refreshes per scope', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { forceRefreshIntervalMs: 30_000 })
    await provider.getToken(SCOPE)
    const forced = await provider.getToken(SCOPE, { forceRefresh: true })
    const again = await provider.getToken(SCOPE, { forceRefresh: true })
    expect(again.token).toBe(forced.token)
    expect(source.requests).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(30_000)
    await provider.getToken(SCOPE, { forceRefresh: true })
    expect(source.requests).toHaveLength(3)
    await provider.close()
  })

  it('bypasses the cache for a claims challenge, passes the claims on, and caches the new token', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const first = await provider.getToken(SCOPE)
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'
    const [a, b] = await Promise.all([provider.getToken(SCOPE, { claims }), provider.getToken(SCOPE, { claims })])
    expect(a.token).not.toBe(first.token)
    expect(b.token).toBe(a.token)
    expect(source.requests).toHaveLength(2)
    expect(source.requests[1]?.claims).toBe(claims)
    expect((await provider.getToken(SCOPE)).token).toBe(a.token)
    await provider.close()
  })

  it('keeps a claims token cached when a plain fetch launched before it lands after it', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await provider.getToken(SCOPE)
    source.script.push({ latencyMs: 100 }, { latencyMs: 10 }) // the forced refresh is the slower one
    const forced = provider.getToken(SCOPE, { forceRefresh: true })
    const challenged = provider.getToken(SCOPE, { claims: '{"access_token":{}}' })
    await vi.advanceTimersByTimeAsync(10)
    const claimsToken = (await challenged).token
    expect(provider.peekToken(SCOPE)?.token).toBe(claimsToken)
    await vi.advanceTimersByTimeAsync(90)
    expect((await forced).token).not.toBe(claimsToken) // its callers get the token they waited for
    expect(provider.peekToken(SCOPE)?.token).toBe(claimsToken) // the cache keeps the newer challenge's
    expect(provider.stats()).toMatchObject({ refreshes: 3 })
    // A fetch launched after the claims fetch replaces it as usual.
    await vi.advanceTimersByTimeAsync(30_000)
    const later = await provider.getToken(SCOPE, { forceRefresh: true })
    expect(provider.peekToken(SCOPE)?.token).toBe(later.token)
    await provider.close()
  })

  it('keeps the newer of two claims tokens when the older claims fetch lands last', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await provider.getToken(SCOPE)
    source.script.push({ latencyMs: 100 }, { latencyMs: 10 })
    const older = provider.getToken(SCOPE, { claims: '{"access_token":{"a":{}}}' })
    const newer = provider.getToken(SCOPE, { claims: '{"access_token":{"b":{}}}' })
    await vi.advanceTimersByTimeAsync(100)
    const [olderToken, newerToken] = await Promise.all([older, newer])
    expect(olderToken.token).not.toBe(newerToken.token)
    expect(provider.peekToken(SCOPE)?.token).toBe(newerToken.token)
    await provider.close()
  })

  it('does not open the breaker for a plain fetch that began before the cached claims token and failed after it', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(1) })
    await provider.getToken(SCOPE)
    const opened: string[] = []
    provider.on('breaker-open', (e) => opened.push(e.code))
    // The forced fetch: a 503, then (after its 1 s retry delay) a 400. The claims fetch lands between.
    source.script.push(failure('endpoint-unavailable', 503), { latencyMs: 10 }, failure('rejected', 400))
    const forced = provider.getToken(SCOPE, { forceRefresh: true })
    const challenged = provider.getToken(SCOPE, { claims: '{"access_token":{}}' })
    await vi.advanceTimersByTimeAsync(10)
    const claimsToken = await challenged
    await Promise.all([expect(forced).rejects.toMatchObject({ code: 'rejected' }), vi.advanceTimersByTimeAsync(1000)])
    expect(opened).toEqual([])
    expect(provider.stats().scopes[0]?.state).not.toBe('degraded')
    expect(provider.peekToken(SCOPE)?.token).toBe(claimsToken.token)
    await provider.close()
  })
})
