import { createAccessToken, type AccessToken, type TokenProvider } from '@keyless/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import type { InspectableProvider, ReadinessReport } from '@keyless/core'
import { readiness, warmUp, type ReadinessOptions } from '../src/index.js'
import { deferred, STORAGE, useHarness, VAULT } from './harness.js'

const h = useHarness()

async function probe(options: ReadinessOptions): Promise<{ status: number; headers: Headers; text: string; body: ReadinessReport }> {
  const app = express()
  app.get('/ready', readiness(options))
  const res = await fetch(`${await h.serve(app)}/ready`)
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as ReadinessReport }
}

describe('readiness()', () => {
  it('answers 503 before warm-up and 200 after, per scope, with no-store and never a token', async () => {
    const provider = h.provider()
    const options = { provider, scopes: [VAULT, STORAGE], fetchMissing: false }

    const before = await probe(options)
    expect(before.status).toBe(503)
    expect(before.headers.get('cache-control')).toBe('no-store')
    expect(before.body).toEqual({
      ready: false,
      source: 'imds',
      scopes: [
        { scope: VAULT, ready: false, state: 'empty', expiresAt: null, refreshAt: null, lastErrorCode: null },
        { scope: STORAGE, ready: false, state: 'empty', expiresAt: null, refreshAt: null, lastErrorCode: null },
      ],
    })

    await warmUp({ provider, scopes: [VAULT, STORAGE] })
    const vault = await provider.getToken(VAULT)
    const after = await probe(options)
    expect(after.status).toBe(200)
    expect(after.headers.get('content-type')).toMatch(/^application\/json/)
    expect(after.body.ready).toBe(true)
    expect(after.body.scopes[0]).toEqual({ scope: VAULT, ready: true, state: 'fresh', expiresAt: vault.expiresAt, refreshAt: vault.refreshAt, lastErrorCode: null })
    expect(after.body.scopes[1]).toMatchObject({ scope: STORAGE, ready: true, state: 'fresh' })
    const storage = await provider.getToken(STORAGE)
    for (const token of [vault.token, storage.token]) {
      expect(after.text).not.toContain(token)
      expect(after.text).not.toContain(token.split('.')[2]) // not even the signature
    }
  })

  it('reports a failing scope with its last error code, and 503', async () => {
    h.emulator.faults.always({ status: 500 })
    const provider = h.provider({ retry: { retries: 0 } })
    await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'endpoint-unavailable' })
    const { status, body } = await probe({ provider, scopes: [VAULT], fetchMissing: false })
    expect(status).toBe(503)
    expect(body.scopes).toEqual([{ scope: VAULT, ready: false, state: 'failing', expiresAt: null, refreshAt: null, lastErrorCode: 'endpoint-unavailable' }])
  })

  it('stays 200 for a scope that still has a usable token while its refresh fails (degraded)', async () => {
    const provider = h.provider({ retry: { retries: 0 }, forceRefreshIntervalMs: 0 })
    await provider.getToken(VAULT)
    h.emulator.faults.always({ status: 500 })
    await expect(provider.getToken(VAULT, { forceRefresh: true })).rejects.toMatchObject({ code: 'endpoint-unavailable' })
    const { status, body } = await probe({ provider, scopes: [VAULT], fetchMissing: false })
    expect(status).toBe(200)
    expect(body.scopes[0]).toMatchObject({ ready: true, state: 'degraded', lastErrorCode: 'endpoint-unavailable' })
  })

  it('finds the scope under its v1 spelling: a resource and its /.default share one cache entry', async () => {
    const provider = h.provider()
    await provider.getToken(VAULT)
    await provider.getToken('https://vault.azure.net')
    const { status, body } = await probe({ provider, scopes: ['https://vault.azure.net'], fetchMissing: false })
    expect(status).toBe(200)
    expect(body.scopes[0]).toMatchObject({ scope: 'https://vault.azure.net', state: 'fresh' })
  })

  it('starts a background fetch for a scope without a token, without waiting for it', async () => {
    const provider = h.provider()
    const fetched = deferred()
    provider.on('refresh-success', () => fetched.resolve())
    expect((await probe({ provider, scopes: [VAULT] })).status).toBe(503)
    await fetched.promise
    expect((await probe({ provider, scopes: [VAULT] })).status).toBe(200)
    expect(h.emulator.counters.tokenRequests).toBe(1)
  })

  it('sends no request with fetchMissing: false', async () => {
    const provider = h.provider()
    expect((await probe({ provider, scopes: [VAULT], fetchMissing: false })).status).toBe(503)
    expect(provider.stats().upstreamRequests).toBe(0)
  })

  it('works with any provider that has peekToken, reading state from it alone', async () => {
    const token = createAccessToken('opaque-token-value', Date.now() + 3_600_000, Date.now() + 1_800_000)
    const provider: InspectableProvider = {
      name: 'custom',
      getToken: (): Promise<AccessToken> => Promise.resolve(token),
      peekToken: (scope) => (scope === VAULT ? token : undefined),
    }
    const { status, body, text } = await probe({ provider, scopes: [VAULT, STORAGE], fetchMissing: false })
    expect(status).toBe(503)
    expect(body.source).toBe('custom')
    expect(body.scopes.map((s) => [s.state, s.ready])).toEqual([['fresh', true], ['empty', false]])
    expect(text).not.toContain('opaque-token-value')
  })

  const noPeek: TokenProvider = { name: 'bare', getToken: () => Promise.reject(new Error('not called')) }
  it.each<[string, (provider: InspectableProvider) => unknown]>([
    ['no options', () => undefined],
    ['a provider without peekToken', () => ({ provider: noPeek, scopes: [VAULT] })],
    ['no scopes', (provider) => ({ provider })],
    ['empty scopes', (provider) => ({ provider, scopes: [] })],
    ['an invalid scope', (provider) => ({ provider, scopes: ['/.default'] })],
    ['a fetchMissing that is not a boolean', (provider) => ({ provider, scopes: [VAULT], fetchMissing: 'yes' })],
    ['an unknown option', (provider) => ({ provider, scopes: [VAULT], status: 500 })],
  ])('throws a config error at registration for %s', (_, options) => {
    expect(() => readiness(options(h.provider()) as ReadinessOptions)).toThrow(expect.objectContaining({ code: 'config' }))
  })
})
