import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { Agent, type Dispatcher, fetch as undiciFetch, interceptors, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { KeylessError } from '../../src/errors/keyless-error.js'
import { bearerAuth } from '../../src/outbound/bearer-auth.js'
import {
  bearerFor,
  challengeUnlessClaims,
  CLAIMS,
  CLAIMS_CHALLENGE,
  fakeProvider,
  recordingServer,
  redirectTo,
  TOKEN_MARK,
  type RecordingServer,
  type Respond,
} from './outbound-fixtures.js'

const SCOPE_A = 'https://a.example/.default'
const SCOPE_B = 'api://b-app/.default'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(respond?: Respond): Promise<RecordingServer> {
  const s = await recordingServer(respond)
  cleanups.push(() => s.close())
  return s
}

function agent(...chain: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher {
  const base = new Agent()
  cleanups.push(() => base.close())
  return base.compose(...chain)
}

async function get(url: string, dispatcher: Dispatcher, options: Partial<Dispatcher.RequestOptions> = {}): Promise<{ status: number; body: string }> {
  const response = await request(url, { dispatcher, ...options } as Parameters<typeof request>[1])
  return { status: response.statusCode, body: await response.body.text() }
}

/** A downstream dispatch that records the options it gets and answers 200 at once. */
function recordingDispatch(): { calls: Dispatcher.DispatchOptions[]; dispatch: Dispatcher.Dispatch } {
  const calls: Dispatcher.DispatchOptions[] = []
  const controller: Dispatcher.DispatchController = { aborted: false, paused: false, reason: null, abort() {}, pause() {}, resume() {} }
  const dispatch: Dispatcher.Dispatch = (opts, handler) => {
    calls.push(opts)
    handler.onRequestStart?.(controller, {})
    handler.onResponseStart?.(controller, 200, {}, 'OK')
    handler.onResponseEnd?.(controller, {})
    return true
  }
  return { calls, dispatch }
}

function dispatchOnce(dispatch: Dispatcher.Dispatch, opts: Dispatcher.DispatchOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    dispatch(opts, { onResponseEnd: () => resolve(), onResponseError: (_c, error) => reject(error) })
  })
}

function authorizationIn(headers: Dispatcher.DispatchOptions['headers']): string[] {
  const list = Array.isArray(headers) ? (headers as string[]) : Object.entries(headers ?? {}).flat()
  const values: string[] = []
  for (let i = 0; i + 1 < list.length; i += 2) if (String(list[i]).toLowerCase() === 'authorization') values.push(String(list[i + 1]))
  return values
}

function expectNoToken(error: unknown): void {
  expect(error).toBeInstanceOf(Error)
  for (const view of [(error as Error).message, JSON.stringify(error), inspect(error, { depth: Infinity }), String((error as Error).stack)]) {
    expect(view).not.toContain(TOKEN_MARK)
  }
}

describe('bearerAuth()', () => {
  describe('origin matching', () => {
    const origins = { 'https://vault.example.net': SCOPE_A, 'http://127.0.0.1:8080': SCOPE_B }

    it.each([
      ['the configured origin', 'https://vault.example.net', SCOPE_A],
      ['the same origin with the default port and other case', 'HTTPS://Vault.Example.NET:443', SCOPE_A],
      ['the same origin given as a URL with a path', new URL('https://vault.example.net/secrets/x?api-version=7.4'), SCOPE_A],
      ['a configured loopback origin', 'http://127.0.0.1:8080', SCOPE_B],
    ])('gives %s its scope’s token', async (_name, origin, scope) => {
      const provider = fakeProvider()
      const { calls, dispatch } = recordingDispatch()
      await dispatchOnce(bearerAuth({ provider, origins })(dispatch), { origin, path: '/x', method: 'GET' })
      expect(authorizationIn(calls[0]?.headers)).toEqual([bearerFor(scope)])
      expect(provider.getToken).toHaveBeenCalledWith(scope, {})
    })

    it.each([
      ['another port', 'https://vault.example.net:8443'],
      ['the other scheme', 'http://vault.example.net'],
      ['a subdomain', 'https://sub.vault.example.net'],
      ['a parent domain', 'https://example.net'],
      ['a look-alike suffix', 'https://vault.example.net.evil.test'],
      ['another loopback port', 'http://127.0.0.1:8081'],
      ['localhost for a configured 127.0.0.1', 'http://localhost:8080'],
      ['https on a configured http loopback origin', 'https://127.0.0.1:8080'],
      ['no origin at all (a Client dispatching to its own)', undefined],
    ])('passes a request to %s through untouched', async (_name, origin) => {
      const provider = fakeProvider()
      const { calls, dispatch } = recordingDispatch()
      const opts: Dispatcher.DispatchOptions = { path: '/x', method: 'GET', headers: { accept: 'text/plain' }, ...(origin === undefined ? {} : { origin }) }
      await dispatchOnce(bearerAuth({ provider, origins })(dispatch), opts)
      expect(calls[0]).toBe(opts)
      expect(authorizationIn(calls[0]?.headers)).toEqual([])
      expect(provider.getToken).not.toHaveBeenCalled()
    })

    it('sends each configured server its own scope’s token and an unconfigured one none', async () => {
      const [a, b, c] = [await server(), await server(), await server()]
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } }))
      await get(`${a.origin}/one`, dispatcher)
      await get(`${b.origin}/two`, dispatcher)
      await get(`${c.origin}/three`, dispatcher)
      await get(`http://localhost:${a.port}/four`, dispatcher)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), undefined])
      expect(b.authorizations()).toEqual([bearerFor(SCOPE_B)])
      expect(c.authorizations()).toEqual([undefined])
      expect(provider.getToken.mock.calls.map(([scope]) => scope)).toEqual([SCOPE_A, SCOPE_B])
    })

    it('replaces the caller’s Authorization on a configured origin and keeps it on another, without touching the caller’s headers', async () => {
      const [a, c] = [await server(), await server()]
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } }))
      const headers = Object.freeze({ Authorization: 'Basic Y2FsbGVy', 'x-trace': '1' })
      await get(a.origin, dispatcher, { headers })
      await get(c.origin, dispatcher, { headers })
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(a.requests[0]?.headers['x-trace']).toBe('1')
      expect(c.authorizations()).toEqual(['Basic Y2FsbGVy'])
      expect(headers).toEqual({ Authorization: 'Basic Y2FsbGVy', 'x-trace': '1' })
    })

    it('keeps to the origins it was given when the caller’s object changes later', async () => {
      const [a, c] = [await server(), await server()]
      const origins: Record<string, string> = { [a.origin]: SCOPE_A }
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins }))
      origins[c.origin] = SCOPE_B
      await get(c.origin, dispatcher)
      expect(c.authorizations()).toEqual([undefined])
    })
  })

  describe('claims challenge', () => {
    it('retries once with a token for the decoded claims', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher)).resolves.toEqual({ status: 200, body: 'with claims' })
      expect(provider.getToken.mock.calls).toEqual([
        [SCOPE_A, {}],
        [SCOPE_A, { claims: CLAIMS }],
      ])
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A, CLAIMS)])
    })

    it('retries once per hop under interceptors.redirect, each configured hop with its own scope', async () => {
      const b = await server(challengeUnlessClaims(SCOPE_B))
      const a = await server((q, res) => {
        if (q.authorization === bearerFor(SCOPE_A, CLAIMS)) res.writeHead(307, { location: `${b.origin}/b` }).end()
        else res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end()
      })
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } }), interceptors.redirect({ maxRedirections: 5 }))
      await expect(get(a.origin, dispatcher)).resolves.toEqual({ status: 200, body: 'with claims' })
      expect(provider.getToken.mock.calls.map(([scope, options]) => [scope, options?.claims])).toEqual([
        [SCOPE_A, undefined],
        [SCOPE_A, CLAIMS],
        [SCOPE_B, undefined],
        [SCOPE_B, CLAIMS],
      ])
    })

    it('sends a string body again on the retry', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher, { method: 'POST', body: '{"n":1}' })).resolves.toMatchObject({ status: 200 })
      expect(a.requests.map((r) => r.body)).toEqual(['{"n":1}', '{"n":1}'])
    })

    it('returns a second 401 to the caller instead of looping', async () => {
      const a = await server((_q, res) => res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('still no'))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher)).resolves.toEqual({ status: 401, body: 'still no' })
      expect(a.requests).toHaveLength(2)
      expect(provider.getToken).toHaveBeenCalledTimes(2)
    })

    it('does not retry a request whose body is a stream', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher, { method: 'POST', body: Readable.from(['streamed']) })).resolves.toEqual({ status: 401, body: 'challenge' })
      expect(a.requests.map((r) => r.body)).toEqual(['streamed'])
      expect(provider.getToken).toHaveBeenCalledTimes(1)
    })

    it('passes a 401 without a claims challenge through', async () => {
      const a = await server((_q, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="", error="invalid_token"' }).end('no'))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher)).resolves.toEqual({ status: 401, body: 'no' })
      expect(provider.getToken).toHaveBeenCalledTimes(1)
    })

    it('ignores a claims challenge from an origin that is not configured', async () => {
      const c = await server((_q, res) => res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('no'))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { 'https://a.example': SCOPE_A } }))
      await expect(get(c.origin, dispatcher)).resolves.toMatchObject({ status: 401 })
      expect(provider.getToken).not.toHaveBeenCalled()
    })
  })

  describe('redirects', () => {
    it('with interceptors.redirect composed after it, gives no token to a hop to an unconfigured origin', async () => {
      const c = await server()
      const a = await server(redirectTo(() => `${c.origin}/landed`))
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } }), interceptors.redirect({ maxRedirections: 5 }))
      await expect(get(`${a.origin}/start`, dispatcher)).resolves.toEqual({ status: 200, body: 'ok' })
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(c.requests.map((r) => r.url)).toEqual(['/landed'])
      expect(c.authorizations()).toEqual([undefined])
      expect(c.requests[0]?.raw).not.toContain(TOKEN_MARK)
    })

    it('with interceptors.redirect composed after it, gives each configured hop its own token', async () => {
      const b = await server()
      const a = await server(redirectTo(() => `${b.origin}/b`, 307))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } }), interceptors.redirect({ maxRedirections: 5 }))
      await get(a.origin, dispatcher)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(b.authorizations()).toEqual([bearerFor(SCOPE_B)])
    })

    it('with interceptors.redirect composed after it, matches every hop on its own, same-origin hops and returns included', async () => {
      let aOrigin = ''
      const c = await server(redirectTo(() => `${aOrigin}/back`))
      const a = await server((q, res) => {
        if (q.url === '/start') res.writeHead(302, { location: '/next' }).end()
        else if (q.url === '/next') res.writeHead(302, { location: `${c.origin}/away` }).end()
        else res.end('back')
      })
      aOrigin = a.origin
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } }), interceptors.redirect({ maxRedirections: 5 }))
      await expect(get(`${a.origin}/start`, dispatcher)).resolves.toEqual({ status: 200, body: 'back' })
      expect(a.requests.map((r) => r.url)).toEqual(['/start', '/next', '/back'])
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A), bearerFor(SCOPE_A)])
      expect(c.authorizations()).toEqual([undefined])
    })

    it('with interceptors.redirect composed before it, leaks nothing either (undici strips Authorization cross-origin)', async () => {
      const c = await server()
      const b = await server()
      const a = await server((q, res) => res.writeHead(302, { location: q.url === '/to-c' ? `${c.origin}/c` : `${b.origin}/b` }).end())
      const dispatcher = agent(interceptors.redirect({ maxRedirections: 5 }), bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } }))
      await get(`${a.origin}/to-c`, dispatcher)
      await get(`${a.origin}/to-b`, dispatcher)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A)])
      expect(c.authorizations()).toEqual([undefined])
      // The unsupported order's limit: another configured origin's hop arrives without a token.
      expect(b.authorizations()).toEqual([undefined])
    })

    it('with interceptors.redirect composed before it, ignores a claims challenge from the hop it did not authorize', async () => {
      const c = await server((_q, res) => res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('no'))
      const a = await server(redirectTo(() => `${c.origin}/c`))
      const provider = fakeProvider()
      const dispatcher = agent(interceptors.redirect({ maxRedirections: 5 }), bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher)).resolves.toMatchObject({ status: 401 })
      expect(provider.getToken).toHaveBeenCalledTimes(1)
      expect(c.requests).toHaveLength(1)
    })

    it('under undici’s fetch, which dispatches each hop, gives a token to configured hops only', async () => {
      const [b, c] = [await server(), await server()]
      const a = await server((q, res) => res.writeHead(302, { location: q.url === '/to-c' ? `${c.origin}/c` : `${b.origin}/b` }).end())
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } }))
      expect((await undiciFetch(`${a.origin}/to-c`, { dispatcher })).status).toBe(200)
      expect((await undiciFetch(`${a.origin}/to-b`, { dispatcher })).status).toBe(200)
      expect(c.authorizations()).toEqual([undefined])
      expect(b.authorizations()).toEqual([bearerFor(SCOPE_B)])
    })
  })

  describe('composition', () => {
    it.each([
      ['after', (auth: Dispatcher.DispatcherComposeInterceptor) => [auth, interceptors.retry({ maxRetries: 2, minTimeout: 1, timeoutFactor: 1 })]],
      ['before', (auth: Dispatcher.DispatcherComposeInterceptor) => [interceptors.retry({ maxRetries: 2, minTimeout: 1, timeoutFactor: 1 }), auth]],
    ])('works with interceptors.retry composed %s it, each attempt with the token', async (_order, chain) => {
      let hits = 0
      const a = await server((_q, res) => (++hits === 1 ? res.writeHead(503).end('busy') : res.end('ok')))
      const dispatcher = agent(...chain(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })))
      await expect(get(a.origin, dispatcher)).resolves.toEqual({ status: 200, body: 'ok' })
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A)])
    })
  })

  describe('failures', () => {
    it('fails the request with the provider’s error and sends nothing', async () => {
      const a = await server()
      const provider = fakeProvider()
      provider.getToken.mockRejectedValueOnce(new KeylessError('unavailable', 'fake: no identity here', { source: 'fake' }))
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await expect(get(a.origin, dispatcher)).rejects.toMatchObject({ code: 'unavailable', source: 'fake' })
      expect(a.requests).toHaveLength(0)
    })

    it('fails with the provider’s error when the claims token cannot be had', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      await get(a.origin, dispatcher)
      provider.getToken.mockRejectedValueOnce(new KeylessError('rejected', 'fake: claims refused', { source: 'fake', status: 400 }))
      await expect(get(`${a.origin}/again`, dispatcher)).rejects.toMatchObject({ code: 'rejected' })
    })

    it('puts no token into the error of a connection reset after the token was sent', async () => {
      const a = await server((q, res) => res.socket?.destroy())
      const dispatcher = agent(bearerAuth({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } }))
      const error: unknown = await get(a.origin, dispatcher).then(() => undefined, (e: unknown) => e)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expectNoToken(error)
    })

    it('ends a request aborted while the token is awaited at once, and never sends it', async () => {
      const a = await server()
      const provider = fakeProvider()
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const issue = provider.getToken.getMockImplementation()
      provider.getToken.mockImplementationOnce(async (scope, options) => {
        await gate
        return issue!(scope, options)
      })
      const dispatcher = agent(bearerAuth({ provider, origins: { [a.origin]: SCOPE_A } }))
      const controller = new AbortController()
      const pending = get(a.origin, dispatcher, { signal: controller.signal })
      const reason = new Error('caller gave up')
      controller.abort(reason)
      await expect(pending).rejects.toBe(reason)
      release()
      await get(`${a.origin}/later`, dispatcher)
      expect(a.requests.map((r) => r.url)).toEqual(['/later'])
    })
  })
})
