import diagnostics from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { KeylessError } from '../../src/errors/keyless-error.js'
import type { ProviderEvents } from '../../src/events/provider-events.js'
import { failure, fakeSource, fixedRandom } from './fake-source.js'

const SCOPE = 'https://vault.azure.net/.default'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createTokenProvider(): events, stats and diagnostics (rule 12)', () => {
  it('emits the typed lifecycle events in order', async () => {
    const source = fakeSource()
    source.script.push(failure('endpoint-unavailable', 503))
    const provider = createTokenProvider(source, { random: fixedRandom(0) })
    const seen: string[] = []
    for (const type of ['hit', 'miss', 'refresh-start', 'refresh-success', 'refresh-failure', 'retry'] as const) {
      provider.on(type, () => seen.push(type))
    }
    const pending = provider.getToken(SCOPE)
    await vi.advanceTimersByTimeAsync(1000)
    await pending
    await provider.getToken(SCOPE)
    expect(seen).toEqual(['miss', 'refresh-start', 'retry', 'refresh-success', 'hit'])
    await provider.close()
  })

  it('stops delivering to a listener once it unsubscribes', async () => {
    const provider = createTokenProvider(fakeSource())
    const listener = vi.fn()
    const off = provider.on('miss', listener)
    await provider.getToken(SCOPE)
    off()
    await provider.getToken('https://storage.azure.com/.default')
    expect(listener).toHaveBeenCalledTimes(1)
    await provider.close()
  })

  it('publishes events on node:diagnostics_channel with the provider name', async () => {
    const messages: unknown[] = []
    const onMessage = (message: unknown) => messages.push(message)
    diagnostics.subscribe('keyless:refresh-success', onMessage)
    try {
      const provider = createTokenProvider(fakeSource())
      await provider.getToken(SCOPE)
      expect(messages).toEqual([expect.objectContaining({ provider: 'fake', scope: SCOPE })])
      await provider.close()
    } finally {
      diagnostics.unsubscribe('keyless:refresh-success', onMessage)
    }
  })

  it('builds hit events only while someone listens, seeing listeners and subscribers that come later', async () => {
    const provider = createTokenProvider(fakeSource())
    await provider.getToken(SCOPE) // the miss; every call below is a hit
    const hits: unknown[] = []
    const onMessage = (message: unknown) => hits.push(message)
    await provider.getToken(SCOPE) // nobody listens yet
    diagnostics.subscribe('keyless:hit', onMessage)
    try {
      await provider.getToken(SCOPE)
    } finally {
      diagnostics.unsubscribe('keyless:hit', onMessage)
    }
    const off = provider.on('hit', onMessage)
    await provider.getToken(SCOPE)
    off()
    await provider.getToken(SCOPE)
    expect(hits).toEqual([expect.objectContaining({ provider: 'fake', scope: SCOPE }), { scope: SCOPE }])
    expect(provider.stats().hits).toBe(4)
    await provider.close()
  })

  it('reports counters and per-scope state in stats()', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    await provider.getToken(SCOPE)
    await provider.getToken(SCOPE)
    const stats = provider.stats()
    expect(stats).toMatchObject({ identity: source.identity, hits: 1, misses: 1, upstreamRequests: 1, refreshes: 1, refreshFailures: 0, inflight: 0 })
    expect(stats.scopes).toEqual([expect.objectContaining({ scope: SCOPE, state: 'fresh', lastErrorCode: undefined })])
    await provider.close()
  })
})

describe('createTokenProvider(): every refresh-start ends in one success or one failure', () => {
  function recordFetchEvents(provider: ReturnType<typeof createTokenProvider>) {
    const seen: string[] = []
    provider.on('refresh-start', (e) => seen.push(`start ${e.reason}`))
    provider.on('refresh-success', () => seen.push('success'))
    provider.on('refresh-failure', (e) => seen.push(`failure ${e.code}`))
    provider.on('breaker-open', () => seen.push('breaker-open'))
    return seen
  }

  it('reports a failed claims fetch as refresh-failure and counts it, leaving the breaker and the cached token alone', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const seen = recordFetchEvents(provider)
    const failures: ProviderEvents['refresh-failure'][] = []
    provider.on('refresh-failure', (e) => failures.push(e))
    const token = await provider.getToken(SCOPE)
    source.script.push(failure('rejected', 400))
    await expect(provider.getToken(SCOPE, { claims: '{"access_token":{}}' })).rejects.toMatchObject({ code: 'rejected' })
    expect(seen).toEqual(['start miss', 'success', 'start claims', 'failure rejected'])
    expect(failures[0]).toMatchObject({ failures: 0, retryAt: Date.now(), servingCachedToken: true, status: 400 })
    expect(provider.stats()).toMatchObject({ refreshes: 1, refreshFailures: 1, upstreamRequests: 2 })
    expect(provider.stats().scopes[0]).toMatchObject({ state: 'fresh', lastErrorCode: undefined })
    expect(await provider.getToken(SCOPE)).toBe(token)
    await provider.close()
  })

  it('reports a fetch that close() aborts as refresh-failure with closed', async () => {
    const source = fakeSource()
    source.script.push('hang')
    const provider = createTokenProvider(source)
    const seen = recordFetchEvents(provider)
    provider.getToken(SCOPE).catch(() => {})
    await provider.close()
    expect(seen).toEqual(['start miss', 'failure closed'])
  })
})

describe('createTokenProvider(): hits in stats and events', () => {
  it('emits hit for every hit it counts, also for a spelling of a cached scope seen for the first time', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    let hits = 0
    provider.on('hit', () => hits++)
    await provider.getToken(SCOPE)
    await provider.getToken('https://vault.azure.net') // same key, new spelling: through acquire
    await provider.getToken('https://vault.azure.net') // now indexed: the hit path
    await provider.getToken(SCOPE, { forceRefresh: false })
    expect(source.requests).toHaveLength(1)
    expect(provider.stats().hits).toBe(3)
    expect(hits).toBe(3)
    await provider.close()
  })
})

describe('createTokenProvider(): secrets', () => {
  const SECRET = 'eyJSECRET-TOKEN-VALUE-do-not-print'

  it('never shows the token in JSON, inspect, events, diagnostics or stats', async () => {
    const source = fakeSource()
    source.fetchToken = async () => ({ token: SECRET, expiresAt: Date.now() + 3_600_000 })
    const provider = createTokenProvider(source)
    const printed: string[] = []
    for (const type of ['hit', 'miss', 'refresh-start', 'refresh-success'] as const) {
      provider.on(type, (e) => printed.push(JSON.stringify(e), inspect(e)))
    }
    const onMessage = (m: unknown) => printed.push(inspect(m, { depth: 5 }))
    diagnostics.subscribe('keyless:refresh-success', onMessage)
    try {
      const token = await provider.getToken(SCOPE)
      await provider.getToken(SCOPE)
      expect(token.token).toBe(SECRET)
      printed.push(JSON.stringify(token), inspect(token), inspect({ nested: token }, { depth: 5 }), String(Object.keys(token)))
      printed.push(JSON.stringify({ ...token }), JSON.stringify(provider.stats()), inspect(provider.stats(), { depth: 5 }))
      for (const text of printed) expect(text).not.toContain(SECRET)
      expect(inspect(token)).toContain('[redacted]')
    } finally {
      diagnostics.unsubscribe('keyless:refresh-success', onMessage)
      await provider.close()
    }
  })

  it('never shows a token in a fail-fast error or its cause', async () => {
    const source = fakeSource()
    source.script.push(new KeylessError('rejected', 'fake: 400', { source: 'fake', status: 400 }))
    const provider = createTokenProvider(source)
    await expect(provider.getToken(SCOPE)).rejects.toBeDefined()
    const error = await provider.getToken(SCOPE).catch((e: unknown) => e)
    expect(JSON.stringify(error)).not.toContain(SECRET)
    expect(inspect(error, { depth: 5 })).toContain('rejected')
    await provider.close()
  })
})
