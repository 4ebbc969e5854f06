import { KeylessError, unavailableProvider, type AccessToken, type TokenProvider } from '@keyless/core'
import { describe, expect, it } from 'vitest'
import { warmUp, type WarmUpOptions } from '../src/index.js'
import { handleCounts, settle, STORAGE, useEngineFakeTimers, useHarness, VAULT } from './harness.js'

const h = useHarness()
const noop = (): void => {}

describe('warmUp()', () => {
  it('resolves once every scope has a cached token', async () => {
    const provider = h.provider()
    await warmUp({ provider, scopes: [VAULT, STORAGE] })
    expect(provider.peekToken(VAULT)).toBeDefined()
    expect(provider.peekToken(STORAGE)).toBeDefined()
    expect(h.emulator.counters.tokenRequests).toBe(2)
  })

  it('with failFast, rejects with the first error and its code', async () => {
    h.emulator.faults.always({ status: 400 })
    const provider = h.provider()
    await expect(warmUp({ provider, scopes: [VAULT, STORAGE], failFast: true })).rejects.toMatchObject({ code: 'rejected', source: 'imds' })
    expect(provider.peekToken(VAULT)).toBeUndefined()
  })

  it('with failFast, releases the waits of the other scopes', async () => {
    let released: unknown
    const provider: TokenProvider = {
      name: 'custom',
      getToken: (scope, options): Promise<AccessToken> =>
        scope === VAULT
          ? Promise.reject(new KeylessError('endpoint-unavailable', 'custom: down', { source: 'custom' }))
          : new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject((released = options.signal?.reason)))),
    }
    await expect(warmUp({ provider, scopes: [STORAGE, VAULT], failFast: true })).rejects.toMatchObject({ code: 'endpoint-unavailable' })
    expect(released).toBeDefined()
  })

  it('without failFast, waits out failures until the endpoint recovers', async () => {
    useEngineFakeTimers()
    h.emulator.faults.enqueue({ status: 400 }, { status: 500 }, { kind: 'reset' })
    const provider = h.provider({ retry: { retries: 0 }, coolDownMs: 1000, random: () => 0.5 })
    const failures: string[] = []
    provider.on('refresh-failure', (e) => failures.push(e.code))
    await settle(warmUp({ provider, scopes: [VAULT] }))
    expect(failures).toEqual(['rejected', 'endpoint-unavailable', 'network'])
    expect(h.emulator.counters.tokenRequests).toBe(4)
    expect(provider.peekToken(VAULT)).toBeDefined()
  })

  it('waits at least the Retry-After the endpoint sent before trying again', async () => {
    useEngineFakeTimers()
    h.emulator.faults.enqueue({ status: 429, retryAfter: '7' })
    const provider = h.provider({ retry: { retries: 0 }, coolDownMs: 0 })
    await settle(warmUp({ provider, scopes: [VAULT], delayMs: 10 }))
    const [first, second] = h.emulator.requests
    expect(first?.status).toBe(429)
    expect(second?.status).toBe(200)
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(7000)
  })

  it('rejects with aborted when the signal aborts, with the last failure as cause', async () => {
    useEngineFakeTimers()
    h.emulator.faults.always({ status: 500 })
    const provider = h.provider({ retry: { retries: 0 }, coolDownMs: 0 })
    const stop = new AbortController()
    const pending = warmUp({ provider, scopes: [VAULT], signal: stop.signal })
    pending.catch(noop)
    await settle(h.emulator.waitForRequests(2))
    stop.abort()
    await expect(pending).rejects.toMatchObject({ code: 'aborted', source: 'express', cause: { code: 'endpoint-unavailable' } })
  })

  it.each<[string, () => TokenProvider]>([
    ['closed', () => {
      const provider = h.provider()
      void provider.close()
      return provider
    }],
    ['unavailable', () => unavailableProvider('app-service', 'IDENTITY_ENDPOINT is not set')],
  ])('rejects at once with %s even without failFast: waiting cannot fix it', async (code, provider) => {
    await expect(warmUp({ provider: provider(), scopes: [VAULT] })).rejects.toMatchObject({ code })
  })

  it('holds the event loop open while pending (so Node cannot exit mid-wait), and lets go when it settles', async () => {
    // A provider of someone else's that holds nothing itself (a keyless provider also refs its
    // fetch's deadline while a caller waits): the one timer counted is warm-up's own.
    const provider: TokenProvider = {
      name: 'custom',
      getToken: (_scope, options): Promise<AccessToken> =>
        new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true })),
    }
    const before = handleCounts().Timeout
    const stop = new AbortController()
    const pending = warmUp({ provider, scopes: [VAULT], signal: stop.signal })
    expect(handleCounts().Timeout).toBe(before + 1)
    stop.abort()
    await expect(pending).rejects.toMatchObject({ code: 'aborted' })
    expect(handleCounts().Timeout).toBeLessThanOrEqual(before)
  })

  it.each<[string, (provider: TokenProvider) => unknown]>([
    ['no options', () => undefined],
    ['no provider', () => ({ scopes: [VAULT] })],
    ['no scopes', (provider) => ({ provider })],
    ['an invalid scope', (provider) => ({ provider, scopes: [' '] })],
    ['a failFast that is not a boolean', (provider) => ({ provider, scopes: [VAULT], failFast: 1 })],
    ['a signal that is not an AbortSignal', (provider) => ({ provider, scopes: [VAULT], signal: {} })],
    ['a delayMs of 0', (provider) => ({ provider, scopes: [VAULT], delayMs: 0 })],
    ['a maxDelayMs below delayMs', (provider) => ({ provider, scopes: [VAULT], delayMs: 500, maxDelayMs: 100 })],
    ['an unknown option', (provider) => ({ provider, scopes: [VAULT], retries: 3 })],
  ])('rejects with config (never throws) for %s', async (_, options) => {
    const provider = h.provider()
    let pending: Promise<void> | undefined
    expect(() => (pending = warmUp(options(provider) as WarmUpOptions))).not.toThrow()
    await expect(pending).rejects.toMatchObject({ code: 'config', source: 'express' })
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })
})
