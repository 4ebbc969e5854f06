import { describe, expect, it } from 'vitest'
import type { ReadinessReport } from '@keyless/core'
import { DEFAULT_READINESS_URL, fastifyKeyless } from '../src/index.js'
import { STORAGE, useHarness, VAULT } from './harness.js'

const h = useHarness()

describe('fastifyKeyless(): readiness route', () => {
  it('answers 200 with the state of each scope after warm-up, and never the token', async () => {
    const provider = h.provider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT, STORAGE], readiness: true })
    await app.ready()

    const res = await app.inject(DEFAULT_READINESS_URL)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const report = res.json<ReadinessReport>()
    expect(report).toMatchObject({ ready: true, source: 'imds' })
    expect(report.scopes).toEqual([
      { scope: VAULT, ready: true, state: 'fresh', expiresAt: expect.any(Number), refreshAt: expect.any(Number), lastErrorCode: null },
      { scope: STORAGE, ready: true, state: 'fresh', expiresAt: expect.any(Number), refreshAt: expect.any(Number), lastErrorCode: null },
    ])
    expect(h.emulator.counters.tokenRequests).toBe(2) // the probe itself fetched nothing
    for (const scope of [VAULT, STORAGE]) expect(res.body).not.toContain((await provider.getToken(scope)).token)
  })

  it('answers 503 until a token is obtained, then 200', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT], warmUp: false, readiness: { url: '/ready' } })
    app.get('/', async (request) => (await request.getToken()).expiresAt)

    const before = await app.inject('/ready')
    expect(before.statusCode).toBe(503)
    expect(before.json()).toEqual({
      ready: false,
      source: 'imds',
      scopes: [{ scope: VAULT, ready: false, state: 'empty', expiresAt: null, refreshAt: null, lastErrorCode: null }],
    })
    await app.inject('/')
    expect((await app.inject('/ready')).statusCode).toBe(200)
  })

  it('answers 503 with the last error code while a scope is failing', async () => {
    const provider = h.provider()
    const { token } = await provider.getToken(STORAGE)
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [STORAGE, VAULT], failFast: false, readiness: true })
    await app.ready()

    const res = await app.inject(DEFAULT_READINESS_URL)
    expect(res.statusCode).toBe(503)
    expect(res.json<ReadinessReport>()).toMatchObject({
      ready: false,
      scopes: [
        { scope: STORAGE, ready: true },
        { scope: VAULT, ready: false, state: 'failing', lastErrorCode: 'rejected' },
      ],
    })
    expect(res.body).not.toContain(token)
  })

  it('refuses a readiness route for a provider without peekToken, at registration', async () => {
    const inner = h.provider()
    const app = h.app()
    const registering = app.register(fastifyKeyless, {
      provider: { name: 'custom', getToken: (scope, options) => inner.getToken(scope, options) },
      scopes: [VAULT],
      warmUp: false,
      readiness: true,
    })
    await expect(registering).rejects.toMatchObject({ code: 'config', source: 'fastify' })
  })

  it('adds no route unless asked', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT] })
    expect((await app.inject(DEFAULT_READINESS_URL)).statusCode).toBe(404)
  })
})
