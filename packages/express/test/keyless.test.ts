import type { AccessToken } from '@keyless/core'
import express, { type Request } from 'express'
import { describe, expect, it, vi } from 'vitest'
import { keyless, requestToken, type KeylessOptions, type RequestKeyless } from '../src/index.js'
import { deferred, enumerates, STORAGE, useHarness, VAULT, type Deferred } from './harness.js'

const h = useHarness()
const fakeProvider = { name: 'fake', getToken: (): Promise<AccessToken> => Promise.reject(new Error('not called')) }

/** An app whose `/token` route answers with the audience of the token it got, or the error code. */
async function tokenApp(options: KeylessOptions, scope?: string): Promise<string> {
  const app = express()
  app.use(keyless(options))
  app.get('/token', async (req, res) => {
    try {
      const token = await requestToken(req, scope)
      res.json({ aud: (await h.emulator.verify(token.token)).aud })
    } catch (error: unknown) {
      res.status(503).json({ code: (error as { code?: unknown }).code })
    }
  })
  return h.serve(app)
}

describe('keyless()', () => {
  it('gives a handler a token for the scope it asks for', async () => {
    const url = await tokenApp({ provider: h.provider() }, STORAGE)
    const res = await fetch(`${url}/token`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ aud: 'https://storage.azure.com' })
  })

  it('asks for the first configured scope when the handler names none', async () => {
    const url = await tokenApp({ provider: h.provider(), scopes: [VAULT, STORAGE] })
    expect(await (await fetch(`${url}/token`)).json()).toEqual({ aud: 'https://vault.azure.net' })
    expect(h.emulator.requests[0]?.query.resource).toBe('https://vault.azure.net')
  })

  it('serves later requests from the cache', async () => {
    const url = await tokenApp({ provider: h.provider(), scopes: [VAULT] })
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/token`)).status).toBe(200)
    expect(h.emulator.counters.tokenRequests).toBe(1)
  })

  it('adds no listener to the response when the token is cached', async () => {
    const provider = h.provider()
    await provider.getToken(VAULT)
    const peek = vi.spyOn(provider, 'peekToken')
    const listeners = deferred<number[]>()
    const app = express()
    app.use(keyless({ provider, scopes: [VAULT] }))
    app.get('/', async (req, res) => {
      const before = res.listenerCount('close')
      await requestToken(req)
      listeners.resolve([before, res.listenerCount('close')])
      res.end()
    })
    await fetch(await h.serve(app))
    const [before, after] = await listeners.promise
    expect(after).toBe(before)
    expect(provider.stats().hits).toBe(1) // the provider's hit path, so the token stays in use
    expect(peek).not.toHaveBeenCalled() // one lookup (cachedToken), not peekToken then getToken
  })

  it('does no I/O by itself: a route that asks for no token sends no request', async () => {
    const app = express()
    app.use(keyless({ provider: h.provider(), scopes: [VAULT] }))
    app.get('/plain', (_req, res) => {
      res.send('ok')
    })
    const url = await h.serve(app)
    expect(await (await fetch(`${url}/plain`)).text()).toBe('ok')
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })

  it('hands the handler the coded error when no token can be had, and the app keeps serving', async () => {
    h.emulator.faults.enqueue({ status: 400 }) // IMDS: identity not found; not retried
    const url = await tokenApp({ provider: h.provider({ coolDownMs: 0 }), scopes: [VAULT] })
    const failed = await fetch(`${url}/token`)
    expect(failed.status).toBe(503)
    expect(await failed.json()).toEqual({ code: 'rejected' })
    expect((await fetch(`${url}/token`)).status).toBe(200)
  })

  it('defines req.keyless at runtime, non-enumerable, with the same tokens as requestToken()', async () => {
    const seen = deferred<{ listed: boolean; json: boolean; same: boolean }>()
    const app = express()
    app.use(keyless({ provider: h.provider(), scopes: [VAULT] }))
    app.get('/', async (req, res) => {
      const view = (req as Request & { keyless: RequestKeyless }).keyless
      const [a, b] = await Promise.all([view.getToken(), requestToken(req)])
      const json = JSON.stringify(Object.fromEntries(Object.entries(req).filter(([, v]) => typeof v !== 'object' || v === null)))
      seen.resolve({ listed: enumerates(req, 'keyless'), json: json.includes('keyless'), same: a.token === b.token })
      res.end()
    })
    await fetch(await h.serve(app))
    expect(await seen.promise).toEqual({ listed: false, json: false, same: true })
  })

  it('leaves req.keyless undefined on routes the middleware does not cover, and lets an app assign its own', async () => {
    const seen = deferred<{ outside: unknown; assigned: unknown }>()
    const app = express()
    const covered = express.Router()
    covered.use(keyless({ provider: h.provider(), scopes: [VAULT] }))
    covered.get('/', (_req, res) => res.end())
    app.use('/covered', covered)
    app.get('/outside', (req, res) => {
      const outside = (req as Request & { keyless?: unknown }).keyless
      ;(req as Request & { keyless?: unknown }).keyless = 'mine'
      seen.resolve({ outside, assigned: (req as Request & { keyless?: unknown }).keyless })
      res.end()
    })
    const url = await h.serve(app)
    expect((await fetch(`${url}/covered`)).status).toBe(200) // the getter is now on the app's request prototype
    expect((await fetch(`${url}/outside`)).status).toBe(200)
    expect(await seen.promise).toEqual({ outside: undefined, assigned: 'mine' })
  })

  it.each<[string, unknown]>([
    ['no options', undefined],
    ['options that are not an object', 'imds'],
    ['no provider', { scopes: [VAULT] }],
    ['a provider without getToken', { provider: { name: 'x' } }],
    ['scopes that are not an array', { provider: fakeProvider, scopes: VAULT }],
    ['an empty scope', { provider: fakeProvider, scopes: [''] }],
    ['several scopes in one string', { provider: fakeProvider, scopes: [`${VAULT} ${STORAGE}`] }],
    ['a scope with a CR/LF', { provider: fakeProvider, scopes: [`${VAULT}\r\nX: 1`] }],
    ['a scope that is not a string', { provider: fakeProvider, scopes: [42] }],
    ['a scope listed twice', { provider: fakeProvider, scopes: [VAULT, STORAGE, VAULT] }],
    ['an unknown option', { provider: fakeProvider, scope: VAULT }],
  ])('throws a config error at registration for %s', (_, options) => {
    expect(() => keyless(options as KeylessOptions)).toThrow(expect.objectContaining({ code: 'config', source: 'express' }))
  })

  it('never writes into the options object', () => {
    const options = Object.freeze({ provider: h.provider(), scopes: Object.freeze([VAULT, STORAGE]) })
    expect(() => keyless(options)).not.toThrow()
    expect(options.scopes).toEqual([VAULT, STORAGE])
  })
})

describe('requestToken()', () => {
  it('releases only the wait of a client that disconnects; the shared fetch goes on for the others', async () => {
    h.emulator.faults.latencyMs(200)
    const provider = h.provider()
    const entered = { leaving: deferred(), staying: deferred() }
    const outcome = { leaving: deferred<unknown>(), staying: deferred<unknown>() }
    const app = express()
    app.use(keyless({ provider, scopes: [VAULT] }))
    app.get('/:who', async (req, res) => {
      const who = req.params.who as 'leaving' | 'staying'
      entered[who].resolve()
      try {
        const token = await requestToken(req)
        outcome[who].resolve(token)
        res.json({ ok: true })
      } catch (error: unknown) {
        outcome[who].resolve({ error, inflight: provider.stats().inflight })
        res.status(503).end()
      }
    })
    const url = await h.serve(app)

    const client = new AbortController()
    const leaving = fetch(`${url}/leaving`, { signal: client.signal }).catch((error: unknown) => error)
    await Promise.all([entered.leaving.promise, h.emulator.waitForRequests(1)])
    const staying = fetch(`${url}/staying`)
    await entered.staying.promise
    client.abort()

    // The leaving handler is released while the fetch is still in flight (1 running).
    expect(await outcome.leaving.promise).toMatchObject({ error: { code: 'aborted' }, inflight: 1 })
    expect(await leaving).toMatchObject({ name: 'AbortError' })
    expect((await staying).status).toBe(200)
    expect(await outcome.staying.promise).toMatchObject({ tokenType: 'Bearer' })
    expect(h.emulator.counters.tokenRequests).toBe(1)
    expect(provider.stats().scopes[0]?.state).toBe('fresh')
  })

  it('notices a disconnect after the request body was read (POST), not only before', async () => {
    h.emulator.faults.enqueue({ kind: 'hang' })
    const entered = deferred()
    const outcome = deferred<unknown>()
    const app = express()
    app.use(express.json())
    app.use(keyless({ provider: h.provider(), scopes: [VAULT] }))
    app.post('/', async (req, res) => {
      entered.resolve()
      outcome.resolve(await requestToken(req).catch((error: unknown) => error))
      res.end()
    })
    const url = await h.serve(app)
    const client = new AbortController()
    const post = fetch(url, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' }, signal: client.signal })
    const posted = post.catch(() => undefined)
    await Promise.all([entered.promise, h.emulator.waitForRequests(1)])
    client.abort()
    await posted
    expect(await outcome.promise).toMatchObject({ code: 'aborted', source: 'express' })
  })

  it('rejects at once with aborted when the client left before the handler asked', async () => {
    const provider = h.provider()
    const outcome = deferred<unknown>()
    const app = express()
    app.use(keyless({ provider, scopes: [VAULT] }))
    app.get('/', (req, res) => {
      res.once('close', () => {
        requestToken(req).then(outcome.resolve, outcome.resolve)
      })
      res.destroy() // the connection drops before the response is finished
    })
    const url = await h.serve(app)
    await fetch(url).catch(() => undefined)
    expect(await outcome.promise).toMatchObject({ code: 'aborted', source: 'express' })
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })

  it("also releases the wait when the handler's own signal aborts", async () => {
    h.emulator.faults.enqueue({ kind: 'hang' })
    const outcome = deferred<unknown>()
    const budget = new AbortController()
    const app = express()
    app.use(keyless({ provider: h.provider(), scopes: [VAULT] }))
    app.get('/', async (req, res) => {
      const pending = requestToken(req, undefined, { signal: budget.signal })
      budget.abort()
      outcome.resolve(await pending.catch((error: unknown) => error))
      res.status(504).end()
    })
    expect((await fetch(await h.serve(app))).status).toBe(504)
    expect(await outcome.promise).toMatchObject({ code: 'aborted' })
  })

  it('passes forceRefresh to the provider: a new token although the cached one is usable', async () => {
    const tokens: AccessToken[] = []
    const app = express()
    app.use(keyless({ provider: h.provider({ forceRefreshIntervalMs: 0 }), scopes: [VAULT] }))
    app.get('/', async (req, res) => {
      tokens.push(await requestToken(req))
      tokens.push(await requestToken(req, VAULT, { forceRefresh: true }))
      res.end()
    })
    await fetch(await h.serve(app))
    expect(h.emulator.counters.tokenRequests).toBe(2)
    expect(tokens[1]?.token).not.toBe(tokens[0]?.token)
  })

  it.each<[string, string, (req: Request) => Promise<unknown>, boolean]>([
    ['config', 'neither keyless() nor bindKeyless() covers the request', (req) => requestToken(req, VAULT), false],
    ['invalid-scope', 'no scope is given and none is configured', (req) => requestToken(req), true],
  ])('rejects with %s when %s', async (code, _, ask, mounted) => {
    const outcome = deferred<unknown>()
    const app = express()
    if (mounted) app.use(keyless({ provider: h.provider() }))
    app.get('/', async (req, res) => {
      outcome.resolve(await ask(req).catch((error: unknown) => error))
      res.end()
    })
    await fetch(await h.serve(app))
    expect(await outcome.promise).toMatchObject({ code, source: 'express' })
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })

  it('rejects with invalid-scope for a bad scope, before any request', async () => {
    const outcome: Deferred<unknown> = deferred()
    const app = express()
    app.use(keyless({ provider: h.provider() }))
    app.get('/', async (req, res) => {
      outcome.resolve(await requestToken(req, 'a b').catch((error: unknown) => error))
      res.end()
    })
    await fetch(await h.serve(app))
    expect(await outcome.promise).toMatchObject({ code: 'invalid-scope' })
    expect(h.emulator.counters.tokenRequests).toBe(0)
  })
})
