import { KeylessError, type AccessToken, type TokenProvider } from '@keyless/core'
import { describe, expect, it, vi } from 'vitest'
import { fastifyKeyless, PLUGIN_NAME } from '../src/index.js'
import { captureLogs, eventLoopTurns, STORAGE, useHarness, VAULT } from './harness.js'

const h = useHarness()

describe('fastifyKeyless(): decorators', () => {
  it('gives a handler a token through request.getToken(scope)', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider() })
    app.get('/', async (request) => ({ token: (await request.getToken(STORAGE)).token }))

    const res = await app.inject('/')
    expect(res.statusCode).toBe(200)
    const claims = await h.emulator.verify(res.json<{ token: string }>().token, { audience: 'https://storage.azure.com' })
    expect(claims.aud).toBe('https://storage.azure.com')
  })

  it("takes a cached token through the provider's hit path alone: no peekToken, no socket listener", async () => {
    const provider = h.provider()
    await provider.getToken(VAULT)
    const peek = vi.spyOn(provider, 'peekToken')
    const app = h.app()
    await app.register(fastifyKeyless, { provider, warmUp: false })
    let listeners: number[] = []
    app.get('/', async (request) => {
      const before = request.raw.socket.listenerCount('close')
      const { token } = await request.getToken(VAULT)
      listeners = [before, request.raw.socket.listenerCount('close')]
      return { ok: token.length > 0 }
    })

    expect((await app.inject('/')).json()).toEqual({ ok: true })
    expect(listeners[1]).toBe(listeners[0])
    expect(peek).not.toHaveBeenCalled()
    expect(provider.stats()).toMatchObject({ hits: 1, misses: 1, upstreamRequests: 1 })
  })

  it('uses the first configured scope when getToken() is called without one', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT, STORAGE], warmUp: false })
    app.get('/', async (request) => ({ token: (await request.getToken()).token }))

    const res = await app.inject('/')
    const claims = await h.emulator.verify(res.json<{ token: string }>().token)
    expect(claims.aud).toBe('https://vault.azure.net')
    expect(h.emulator.counters.tokenRequests).toBe(1)
  })

  it('rejects getToken() without a scope with invalid-scope when no scopes are configured', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider() })
    let caught: unknown
    app.get('/', async (request) => {
      caught = await request.getToken().catch((error: unknown) => error)
      return 'ok'
    })

    await app.inject('/')
    expect(caught).toMatchObject({ code: 'invalid-scope', source: 'fastify' })
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })

  it('decorates the instance with the provider it was given, visible outside the plugin', async () => {
    const provider = h.provider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider })
    await app.ready()
    expect(app.keyless).toBe(provider)
    expect(app.hasPlugin(PLUGIN_NAME)).toBe(true)
    expect(app.hasRequestDecorator('getToken')).toBe(true)
  })

  it("declares its name and the Fastify range it supports ('5.x') to fastify-plugin", () => {
    // Fastify compares `fastify` with its own version at registration and refuses another major.
    const meta = (fastifyKeyless as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
    expect(meta).toMatchObject({ name: PLUGIN_NAME, fastify: '5.x' })
  })

  it('passes the caller options through and aborts on the caller signal', async () => {
    h.emulator.faults.enqueue({ kind: 'hang' })
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT], warmUp: false })
    app.get('/', async (request) => {
      const controller = new AbortController()
      const pending = request.getToken(VAULT, { signal: controller.signal })
      await h.emulator.waitForRequests(1)
      controller.abort()
      return pending
    })

    const res = await app.inject('/')
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'aborted' })
  })
})

describe('fastifyKeyless(): warm-up in onReady', () => {
  it('fetches every configured scope before the first request', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT, STORAGE] })
    app.get('/', async (request) => ({ expiresAt: (await request.getToken()).expiresAt }))
    expect(h.emulator.counters.tokenRequests).toBe(0)

    await app.ready()
    expect(h.emulator.counters.tokenRequests).toBe(2)
    const res = await app.inject('/')
    expect(res.statusCode).toBe(200)
    expect(h.emulator.counters.tokenRequests).toBe(2) // served from the cache
  })

  it('fetches nothing at start-up with warmUp: false', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT], warmUp: false })
    await app.ready()
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })

  it('makes ready() reject with the coded error when a scope cannot be obtained (failFast default)', async () => {
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT] })
    await expect(app.ready()).rejects.toMatchObject({ code: 'rejected', status: 400, source: 'imds' })
  })

  it('with failFast, rejects ready() at the first failure, without waiting for a scope still fetching', async () => {
    let releaseVault: (token: AccessToken) => void = () => {}
    const refused = new KeylessError('rejected', 'imds: refused', { source: 'imds', status: 400 })
    const provider: TokenProvider = {
      name: 'stub',
      getToken: async (scope) => {
        if (scope === STORAGE) throw refused
        return new Promise<AccessToken>((resolve) => (releaseVault = resolve)) // hangs until released
      },
    }
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT, STORAGE] })

    let outcome: unknown = 'pending'
    app.ready().then(
      () => (outcome = 'ready'),
      (error: unknown) => (outcome = error),
    )
    try {
      await eventLoopTurns(() => outcome !== 'pending', 1000)
      expect(outcome).toBe(refused) // VAULT, first in `scopes`, is still fetching
    } finally {
      const expiresAt = Date.now() + 3_600_000
      releaseVault({ token: 'x', expiresAt, refreshAt: expiresAt, tokenType: 'Bearer' })
    }
  })

  it('with failFast: false, starts anyway and logs a warning with the code and never a token', async () => {
    const provider = h.provider()
    const { token } = await provider.getToken(STORAGE) // cached: its warm-up succeeds
    h.emulator.faults.always({ status: 400 })
    const { logger, lines } = captureLogs('warn')
    const app = h.app({ logger })
    await app.register(fastifyKeyless, { provider, scopes: [STORAGE, VAULT], failFast: false })
    app.get('/', () => 'up')

    await app.ready()
    expect((await app.inject('/')).body).toBe('up')
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['level'] === 40)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ scope: VAULT, code: 'rejected' })
    expect(lines.join('\n')).not.toContain(token)
  })
})

describe('fastifyKeyless(): errors from handlers', () => {
  it('answers a KeylessError with 503 { error: code, message }, and keeps serving', async () => {
    const provider = h.provider()
    const { token } = await provider.getToken(STORAGE)
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    await app.register(fastifyKeyless, { provider })
    app.get('/vault', async (request) => (await request.getToken(VAULT)).expiresAt)
    app.get('/storage', async (request) => (await request.getToken(STORAGE)).expiresAt)

    const failed = await app.inject('/vault')
    expect(failed.statusCode).toBe(503)
    const body = failed.json<Record<string, unknown>>()
    expect(body).toEqual({ error: 'rejected', message: expect.any(String) })
    expect(failed.body).not.toContain(token)
    expect((await app.inject('/storage')).statusCode).toBe(200)
  })

  it('answers with errorStatus when set', async () => {
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), errorStatus: 502 })
    app.get('/', async (request) => (await request.getToken(VAULT)).expiresAt)

    const res = await app.inject('/')
    expect(res.statusCode).toBe(502)
    expect(res.json()).toMatchObject({ error: 'rejected' })
  })

  it('maps a KeylessError thrown through app.keyless directly too', async () => {
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider() })
    app.get('/', async function () {
      return (await this.keyless.getToken(VAULT)).expiresAt
    })
    expect((await app.inject('/')).statusCode).toBe(503)
  })

  it('passes other errors on to the error handler that was there before', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider() })
    app.get('/', async () => {
      throw Object.assign(new Error('teapot'), { statusCode: 418 })
    })

    const res = await app.inject('/')
    expect(res.statusCode).toBe(418)
    expect(res.json()).toMatchObject({ statusCode: 418, message: 'teapot' })
  })

  it('hands a KeylessError to the app error handler when errorStatus is false', async () => {
    h.emulator.faults.always({ status: 400 })
    const app = h.app()
    const seen = vi.fn()
    app.setErrorHandler((error, _request, reply) => {
      seen(error)
      return reply.code(500).send({ handledBy: 'app' })
    })
    await app.register(fastifyKeyless, { provider: h.provider(), errorStatus: false })
    app.get('/', async (request) => (await request.getToken(VAULT)).expiresAt)

    const res = await app.inject('/')
    expect(res.json()).toEqual({ handledBy: 'app' })
    expect(seen).toHaveBeenCalledWith(expect.objectContaining({ code: 'rejected' }))
  })
})

describe('fastifyKeyless(): provider lifecycle', () => {
  it('calls source once and closes the provider it made on app.close()', async () => {
    const made = h.unmanagedProvider()
    const close = vi.spyOn(made, 'close')
    const source = vi.fn(() => made)
    const app = h.app()
    await app.register(fastifyKeyless, { source, scopes: [VAULT] })
    await app.ready()
    expect(source).toHaveBeenCalledOnce()
    expect(app.keyless).toBe(made)
    expect(close).not.toHaveBeenCalled()

    await app.close()
    expect(close).toHaveBeenCalledOnce()
    await expect(made.getToken(VAULT, { forceRefresh: true })).rejects.toMatchObject({ code: 'closed' })
  })

  it('closes the provider it made when ready() failed and the app is closed', async () => {
    h.emulator.faults.always({ status: 400 })
    const made = h.unmanagedProvider()
    const close = vi.spyOn(made, 'close')
    const app = h.app()
    await app.register(fastifyKeyless, { source: () => made, scopes: [VAULT] })
    await expect(app.ready()).rejects.toMatchObject({ code: 'rejected' })
    await app.close()
    expect(close).toHaveBeenCalledOnce()
  })

  it('leaves a provider it was given open on app.close()', async () => {
    const provider = h.provider()
    const close = vi.spyOn(provider, 'close')
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT] })
    await app.ready()
    await app.close()

    expect(close).not.toHaveBeenCalled()
    await expect(provider.getToken(STORAGE)).resolves.toMatchObject({ tokenType: 'Bearer' })
  })
})
