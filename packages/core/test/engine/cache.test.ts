import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { failure, fakeSource, fixedRandom, HOUR } from './fake-source.js'

const VAULT = 'https://vault.azure.net/.default'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createTokenProvider(): cache', () => {
  it('returns a cached token with no upstream request and the same promise each time', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const first = await provider.getToken(VAULT)
    const p1 = provider.getToken(VAULT)
    const p2 = provider.getToken(VAULT)
    expect(p1).toBe(p2)
    expect((await p1).token).toBe(first.token)
    expect(source.requests).toHaveLength(1)
    expect(provider.stats()).toMatchObject({ hits: 2, misses: 1, upstreamRequests: 1 })
    await provider.close()
  })

  it('peekToken returns the usable token synchronously and never fetches', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    expect(provider.peekToken(VAULT)).toBeUndefined()
    expect(source.requests).toHaveLength(0)
    const token = await provider.getToken(VAULT)
    expect(provider.peekToken(VAULT)).toBe(token)
    vi.setSystemTime(token.expiresAt)
    expect(provider.peekToken(VAULT)).toBeUndefined()
    await provider.close()
  })

  it('keys a v2 scope and its v1 resource to one entry', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const a = await provider.getToken(VAULT)
    const b = await provider.getToken('https://vault.azure.net')
    expect(b.token).toBe(a.token)
    expect(source.requests).toHaveLength(1)
    expect(source.requests[0]).toMatchObject({ scope: VAULT, resource: 'https://vault.azure.net' })
    await provider.close()
  })

  it('never returns a token obtained for one scope for another', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const vault = await provider.getToken(VAULT)
    const storage = await provider.getToken('https://storage.azure.com/.default')
    expect(vault.token).toContain('vault.azure.net')
    expect(storage.token).toContain('storage.azure.com')
    expect((await provider.getToken(VAULT)).token).toBe(vault.token)
    await provider.close()
  })

  it('shares one upstream request between concurrent callers (single-flight)', async () => {
    const source = fakeSource()
    source.script.push({ latencyMs: 100 })
    const provider = createTokenProvider(source)
    const calls = Array.from({ length: 1000 }, () => provider.getToken(VAULT))
    await vi.advanceTimersByTimeAsync(100)
    const tokens = await Promise.all(calls)
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1)
    expect(source.requests).toHaveLength(1)
    await provider.close()
  })

  it('evicts the least recently used scope beyond maxEntries and emits evict', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { maxEntries: 2 })
    const evicted: string[] = []
    provider.on('evict', (e) => evicted.push(e.scope))
    await provider.getToken('https://a.example/.default')
    await provider.getToken('https://b.example/.default')
    await provider.getToken('https://a.example/.default') // a is now most recent
    await provider.getToken('https://c.example/.default')
    expect(evicted).toEqual(['https://b.example/.default'])
    expect(provider.stats().scopes.map((s) => s.scope).sort()).toEqual(['https://a.example/.default', 'https://c.example/.default'])
    await provider.getToken('https://b.example/.default')
    expect(source.requests).toHaveLength(4)
    await provider.close()
  })

  it('updates recency on hits at most once a second, and again once the second has passed', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { maxEntries: 2, random: fixedRandom(0) })
    const evicted: string[] = []
    provider.on('evict', (e) => evicted.push(e.scope))
    const [a, b, c] = ['https://a.example/.default', 'https://b.example/.default', 'https://c.example/.default']
    await provider.getToken(a)
    await provider.getToken(b)
    await provider.getToken(a) // recency: b, a
    await vi.advanceTimersByTimeAsync(10)
    await provider.getToken(b) // recency: a, b
    await vi.advanceTimersByTimeAsync(10)
    await provider.getToken(a) // within a second of a's last update: recency stays a, b
    await vi.advanceTimersByTimeAsync(1000)
    await provider.getToken(a) // a second later: recency b, a
    await provider.getToken(c)
    expect(evicted).toEqual([b])
    expect(source.requests).toHaveLength(3)
    await provider.close()
  })

  it('rejects a bad scope with invalid-scope and sends nothing', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    for (const scope of ['', ' ', 'a b', 'https://x/.default https://y/.default', 'https://x\r\nHost: evil', 'x\u0000']) {
      await expect(provider.getToken(scope)).rejects.toMatchObject({ code: 'invalid-scope' })
    }
    expect(source.requests).toHaveLength(0)
    await provider.close()
  })

  it('throws a config error synchronously on bad options', () => {
    expect(() => createTokenProvider(fakeSource(), { maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createTokenProvider(fakeSource(), { deadlineMs: -1 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createTokenProvider(fakeSource(), { retry: { retries: Number.NaN } })).toThrow(expect.objectContaining({ code: 'config' }))
  })

  it("rejects a timer duration beyond setTimeout's limit (Node would fire it after 1 ms) with config", async () => {
    const limit = 2 ** 31 - 1
    for (const options of [{ deadlineMs: limit + 1 }, { attemptTimeoutMs: 3_000_000_000 }, { retry: { maxDelayMs: limit + 1 } }, { retry: { baseDelayMs: 2 ** 32 } }]) {
      expect(() => createTokenProvider(fakeSource(), options)).toThrow(expect.objectContaining({ code: 'config' }))
    }
    const source = fakeSource()
    source.script.push({ latencyMs: 20 })
    const provider = createTokenProvider(source, { deadlineMs: limit, attemptTimeoutMs: limit, retry: { maxDelayMs: limit } })
    const pending = provider.getToken(VAULT)
    await vi.advanceTimersByTimeAsync(20)
    await expect(pending).resolves.toMatchObject({ tokenType: 'Bearer' })
    await provider.close()
  })

  it('does not write into the options object it is given', () => {
    const options = Object.freeze({ deadlineMs: 1000, retry: Object.freeze({ retries: 1 }) })
    expect(() => createTokenProvider(fakeSource(), options)).not.toThrow()
  })

  it('returns no token once the expiry margin is reached (rule 6) and fetches a new one', async () => {
    const source = fakeSource()
    source.fallback = { lifetimeMs: HOUR }
    const provider = createTokenProvider(source, { expiryMarginMs: 30_000, random: fixedRandom(0) })
    const first = await provider.getToken(VAULT)
    vi.setSystemTime(first.expiresAt - 30_000)
    const second = await provider.getToken(VAULT)
    expect(second.token).not.toBe(first.token)
    await provider.close()
  })
})

describe('createTokenProvider(): a token that is expired on arrival (rule 6)', () => {
  it('never returns it: the fetch fails with bad-response, counted and reported like any bad answer', async () => {
    const source = fakeSource()
    source.fetchToken = async (request) => {
      source.requests.push(request)
      return { token: 'stale', expiresAt: Date.now() - 60_000 }
    }
    const provider = createTokenProvider(source)
    const failures: string[] = []
    provider.on('refresh-failure', (e) => failures.push(e.code))
    await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response', retryable: false })
    expect(provider.peekToken(VAULT)).toBeUndefined()
    expect(failures).toEqual(['bad-response'])
    expect(provider.stats()).toMatchObject({ refreshes: 0, refreshFailures: 1, upstreamRequests: 1 })
    await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response' }) // the breaker fails fast
    expect(source.requests).toHaveLength(1)
    await provider.close()
  })

  it('also refuses one that expires within the expiry margin before it arrives, and one with no numeric expiry', async () => {
    for (const expiresAt of [() => Date.now(), () => Number.NaN]) {
      const source = fakeSource()
      source.fetchToken = async () => ({ token: 'stale', expiresAt: expiresAt() })
      const provider = createTokenProvider(source)
      await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response' })
      await provider.close()
    }
  })
})

describe('createTokenProvider(): eviction of a scope whose fetch is running', () => {
  const STORAGE = 'https://storage.azure.com/.default'

  it('keeps one upstream fetch per scope: a caller after the eviction joins the running fetch', async () => {
    const source = fakeSource()
    source.script.push({ latencyMs: 300 })
    const provider = createTokenProvider(source, { maxEntries: 1 })
    const evicted: string[] = []
    provider.on('evict', (e) => evicted.push(e.scope))
    const a = provider.getToken(VAULT)
    await provider.getToken(STORAGE) // evicts vault while its fetch runs
    expect(evicted).toEqual([VAULT])
    expect(provider.stats().inflight).toBe(1)
    const b = provider.getToken(VAULT)
    await vi.advanceTimersByTimeAsync(300)
    const [ta, tb] = await Promise.all([a, b])
    expect(tb.token).toBe(ta.token)
    expect(source.requests.map((r) => r.resource)).toEqual(['https://vault.azure.net', 'https://storage.azure.com'])
    expect(provider.peekToken(VAULT)).toBe(ta) // taken back into the cache with its token
    expect(provider.stats().inflight).toBe(0)
    await provider.close()
  })

  it('lets close() abort and await that fetch; its callers reject with closed', async () => {
    const source = fakeSource()
    source.script.push('hang')
    const provider = createTokenProvider(source, { maxEntries: 1 })
    const a = provider.getToken(VAULT)
    a.catch(() => {})
    await provider.getToken(STORAGE)
    await provider.close()
    await expect(a).rejects.toMatchObject({ code: 'closed' })
    expect(source.requests[0]?.signal.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('forgets the evicted entry once its fetch settles: a later caller fetches afresh', async () => {
    const source = fakeSource()
    source.script.push({ latencyMs: 300 })
    const provider = createTokenProvider(source, { maxEntries: 1 })
    const a = provider.getToken(VAULT)
    await provider.getToken(STORAGE)
    await vi.advanceTimersByTimeAsync(300)
    await a
    expect(provider.peekToken(VAULT)).toBeUndefined() // a token fetched for an evicted entry is not cached
    await provider.getToken(VAULT)
    expect(source.requests).toHaveLength(3)
    expect(provider.stats()).toMatchObject({ inflight: 0, evictions: 2 })
    await provider.close()
  })

  it('keeps refreshing a scope taken back while only a claims fetch of it runs (rule 5)', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { maxEntries: 1, random: fixedRandom(0), retry: { retries: 0 } })
    await provider.getToken(VAULT) // a 24 h token, refreshed at 12 h
    source.script.push('hang')
    const claims = provider.getToken(VAULT, { claims: '{"access_token":{}}' }) // fails at its 5 s attempt timeout
    await provider.getToken(STORAGE) // evicts vault while the claims fetch runs
    await provider.getToken(VAULT) // takes vault back: a hit on its token
    await Promise.all([expect(claims).rejects.toMatchObject({ code: 'timeout' }), vi.advanceTimersByTimeAsync(5000)])
    await vi.advanceTimersByTimeAsync(12 * HOUR)
    expect(source.requests.filter((r) => r.scope === VAULT && r.claims === undefined)).toHaveLength(2)
    await provider.close()
  })

  it('during an outage, retries a scope taken back that way at the end of its cool-down, not before', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { maxEntries: 1, random: fixedRandom(1), retry: { retries: 0 } })
    await provider.getToken(VAULT)
    source.script.push(failure('endpoint-unavailable', 503))
    await provider.getToken(VAULT, { forceRefresh: true }).catch(() => {}) // opens the breaker: 5 s cool-down
    const plain = (): number => source.requests.filter((r) => r.scope === VAULT && r.claims === undefined).length
    expect(plain()).toBe(2)
    source.script.push('hang')
    const claims = provider.getToken(VAULT, { claims: '{"access_token":{}}' })
    await provider.getToken(STORAGE) // evicts vault while the claims fetch runs
    await provider.getToken(VAULT) // takes vault back: its token is still usable
    await vi.advanceTimersByTimeAsync(4000)
    expect(plain()).toBe(2) // still cooling down
    await Promise.all([expect(claims).rejects.toMatchObject({ code: 'timeout' }), vi.advanceTimersByTimeAsync(1000)])
    expect(plain()).toBe(3) // the background retry
    await provider.close()
  })
})

describe('createTokenProvider(): peekToken across spellings', () => {
  it('finds the token under a spelling of the scope that no caller has used yet', async () => {
    vi.useFakeTimers()
    const provider = createTokenProvider(fakeSource())
    const token = await provider.getToken('https://storage.azure.com')
    expect(provider.peekToken('https://storage.azure.com/.default')).toBe(token)
    expect(provider.peekToken('https://other.example/.default')).toBeUndefined()
    await provider.close()
  })
})

describe('createTokenProvider(): cachedToken, the hit path alone', () => {
  it("returns getToken's settled promise for a usable token and counts the hit; else undefined and nothing else", async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    expect(provider.cachedToken(VAULT)).toBeUndefined() // nothing cached: no fetch started
    expect(source.requests).toHaveLength(0)
    expect(provider.stats()).toMatchObject({ hits: 0, misses: 0 })
    const token = await provider.getToken(VAULT)
    const hit = provider.cachedToken(VAULT)
    expect(hit).toBe(provider.getToken(VAULT))
    expect(await hit).toBe(token)
    expect(provider.stats()).toMatchObject({ hits: 2, misses: 1, upstreamRequests: 1 })
    expect(provider.cachedToken(42 as unknown as string)).toBeUndefined()
    vi.setSystemTime(token.expiresAt)
    expect(provider.cachedToken(VAULT)).toBeUndefined() // expired: never returned, and no fetch from here
    expect(source.requests).toHaveLength(1)
    await provider.close()
    expect(provider.cachedToken(VAULT)).toBeUndefined()
  })

  it('marks the token in use, so the engine refreshes it at its refresh point (rule 5)', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    await provider.getToken(VAULT)
    await vi.advanceTimersByTimeAsync(12 * HOUR) // refresh #2 in the background; token #2 not used yet
    expect(source.requests).toHaveLength(2)
    expect(provider.cachedToken(VAULT)).toBeDefined() // a hit: token #2 is now in use
    await vi.advanceTimersByTimeAsync(12 * HOUR)
    expect(source.requests).toHaveLength(3) // refreshed by timer, no caller waiting
    await provider.close()
  })
})
