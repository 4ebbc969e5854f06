import type { AccessToken, TokenProvider } from '@keyless/core'
import express, { type Request, type RequestHandler } from 'express'
import { describe, expect, it } from 'vitest'
import { bindKeyless, keyless, requestToken, type KeylessOptions, type RequestKeyless } from '../src/index.js'
import { deferred, enumerates, STORAGE, useHarness, VAULT } from './harness.js'

const h = useHarness()

/** A provider that answers every scope with `token` at once, so tests can tell providers apart. */
function namedProvider(token: string): TokenProvider {
  const accessToken = { token, expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer' } as unknown as AccessToken
  return { name: token, getToken: () => Promise.resolve(accessToken) }
}

/** A route handler answering the token it got for `scope`, or the error code. */
function tokenRoute(scope?: string): RequestHandler {
  return async (req, res) => {
    try {
      res.json({ token: (await requestToken(req, scope)).token })
    } catch (error: unknown) {
      res.status(503).json({ code: (error as { code?: unknown }).code })
    }
  }
}

async function tokenAt(url: string): Promise<unknown> {
  return (await fetch(url)).json()
}

describe('bindKeyless()', () => {
  it('gives every route of the app a token with no middleware in its stack', async () => {
    const app = express()
    bindKeyless(app, { provider: h.provider(), scopes: [VAULT] })
    app.get('/token', tokenRoute())
    const url = await h.serve(app)
    const body = (await tokenAt(`${url}/token`)) as { token: string }
    expect((await h.emulator.verify(body.token)).aud).toBe('https://vault.azure.net') // scopes[0]
    expect(await tokenAt(`${url}/token`)).toEqual(body) // the second from the cache
    expect(h.emulator.counters.tokenRequests).toBe(1)
    // The router holds the one route and nothing else: no layer runs for keyless on a request.
    expect(app.router.stack.map((layer) => layer.route?.path)).toEqual(['/token'])
  })

  it('defines req.keyless on the app, non-enumerable, with the same tokens as requestToken()', async () => {
    const seen = deferred<{ listed: boolean; same: boolean }>()
    const app = express()
    bindKeyless(app, { provider: h.provider(), scopes: [STORAGE] })
    app.get('/', async (req, res) => {
      const view = (req as Request & { keyless: RequestKeyless }).keyless
      const [a, b] = await Promise.all([view.getToken(), requestToken(req)])
      seen.resolve({ listed: enumerates(req, 'keyless'), same: a.token === b.token })
      res.end()
    })
    await fetch(await h.serve(app))
    expect(await seen.promise).toEqual({ listed: false, same: true })
  })

  it("covers the app's routers and mounted sub-apps; a keyless() middleware in a router comes first", async () => {
    const app = express()
    bindKeyless(app, { provider: namedProvider('app-token'), scopes: [VAULT] })
    const router = express.Router()
    router.get('/token', tokenRoute())
    const scoped = express.Router()
    scoped.use(keyless({ provider: namedProvider('router-token'), scopes: [VAULT] }))
    scoped.get('/token', tokenRoute())
    const sub = express()
    sub.get('/token', tokenRoute())
    app.use('/router', router)
    app.use('/scoped', scoped)
    app.use('/sub', sub)
    app.get('/token', tokenRoute())
    const url = await h.serve(app)
    expect(await tokenAt(`${url}/router/token`)).toEqual({ token: 'app-token' })
    expect(await tokenAt(`${url}/scoped/token`)).toEqual({ token: 'router-token' })
    expect(await tokenAt(`${url}/sub/token`)).toEqual({ token: 'app-token' })
    expect(await tokenAt(`${url}/token`)).toEqual({ token: 'app-token' }) // the router's binding ended with it
  })

  it('binds one app only; binding it again replaces the earlier binding', async () => {
    const bound = express()
    bindKeyless(bound, { provider: namedProvider('first'), scopes: [VAULT] })
    bindKeyless(bound, { provider: namedProvider('second'), scopes: [VAULT] })
    bound.get('/token', tokenRoute())
    const other = express()
    other.get('/token', tokenRoute(VAULT))
    expect(await tokenAt(`${await h.serve(bound)}/token`)).toEqual({ token: 'second' })
    expect(await tokenAt(`${await h.serve(other)}/token`)).toEqual({ code: 'config' })
  })

  it.each<[string, unknown]>([
    ['nothing', undefined],
    ['a Router', express.Router()],
    ['a plain object', { request: {} }],
    ['a function without a request prototype', () => undefined],
  ])('throws a config error when the app is %s', (_, app) => {
    expect(() => bindKeyless(app as express.Express, { provider: namedProvider('x') })).toThrow(
      expect.objectContaining({ code: 'config', source: 'express' }),
    )
  })

  it.each<[string, unknown]>([
    ['no options', undefined],
    ['no provider', { scopes: [VAULT] }],
    ['a bad scope', { provider: namedProvider('x'), scopes: ['a b'] }],
    ['an unknown option', { provider: namedProvider('x'), scope: VAULT }],
  ])('throws a config error for %s and leaves the app unbound', async (_, options) => {
    const app = express()
    expect(() => bindKeyless(app, options as KeylessOptions)).toThrow(expect.objectContaining({ code: 'config', source: 'express' }))
    app.get('/token', tokenRoute(VAULT))
    expect(await tokenAt(`${await h.serve(app)}/token`)).toEqual({ code: 'config' })
  })

  it('never writes into the options object', () => {
    const options = Object.freeze({ provider: h.provider(), scopes: Object.freeze([VAULT, STORAGE]) })
    expect(() => bindKeyless(express(), options)).not.toThrow()
    expect(options.scopes).toEqual([VAULT, STORAGE])
  })
})
