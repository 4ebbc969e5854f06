import { inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { KeylessError } from '../../src/errors/keyless-error.js'
import { authorizedFetch } from '../../src/outbound/authorized-fetch.js'
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

function expectNoToken(error: unknown): void {
  expect(error).toBeInstanceOf(Error)
  for (const view of [(error as Error).message, JSON.stringify(error), inspect(error, { depth: Infinity }), String((error as Error).stack)]) {
    expect(view).not.toContain(TOKEN_MARK)
  }
}

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })
}

describe('authorizedFetch()', () => {
  describe('origin matching', () => {
    const origins = { 'https://vault.example.net': SCOPE_A, 'http://127.0.0.1:8080': SCOPE_B }

    function recordingFetch(): { fetch: typeof globalThis.fetch; seen: Array<{ url: string; authorization: string | null; redirect: RequestInit['redirect'] }> } {
      const seen: Array<{ url: string; authorization: string | null; redirect: RequestInit['redirect'] }> = []
      const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
        seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization'), redirect: init?.redirect })
        return new Response('ok')
      })
      return { fetch, seen }
    }

    it.each([
      ['the configured origin', 'https://vault.example.net/secrets/x?api-version=7.4', SCOPE_A],
      ['the same origin with the default port and other case', 'HTTPS://Vault.Example.NET:443/x', SCOPE_A],
      ['a configured loopback origin', 'http://127.0.0.1:8080/x', SCOPE_B],
    ])('gives %s its scope’s token', async (_name, url, scope) => {
      const provider = fakeProvider()
      const { fetch, seen } = recordingFetch()
      await authorizedFetch({ provider, origins, fetch })(url)
      expect(seen).toEqual([{ url: new URL(url).href, authorization: bearerFor(scope), redirect: 'manual' }])
    })

    it.each([
      ['another port', 'https://vault.example.net:8443/x'],
      ['the other scheme', 'http://vault.example.net/x'],
      ['a subdomain', 'https://sub.vault.example.net/x'],
      ['a parent domain', 'https://example.net/x'],
      ['a look-alike suffix', 'https://vault.example.net.evil.test/x'],
      ['another loopback port', 'http://127.0.0.1:8081/x'],
      ['localhost for a configured 127.0.0.1', 'http://localhost:8080/x'],
    ])('gives %s no token', async (_name, url) => {
      const provider = fakeProvider()
      const { fetch, seen } = recordingFetch()
      await authorizedFetch({ provider, origins, fetch })(url)
      expect(seen).toEqual([{ url: new URL(url).href, authorization: null, redirect: 'manual' }])
      expect(provider.getToken).not.toHaveBeenCalled()
    })

    it('hands a URL that reaches no origin (data:) to fetch untouched', async () => {
      const provider = fakeProvider()
      const response = await authorizedFetch({ provider, origins })('data:text/plain,hello')
      await expect(response.text()).resolves.toBe('hello')
      expect(provider.getToken).not.toHaveBeenCalled()
    })

    it('sends each configured server its own scope’s token and an unconfigured one none', async () => {
      const [a, b, c] = [await server(), await server(), await server()]
      const provider = fakeProvider()
      const fetch = authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } })
      for (const url of [`${a.origin}/1`, `${b.origin}/2`, `${c.origin}/3`, `http://localhost:${a.port}/4`]) expect((await fetch(url)).status).toBe(200)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), undefined])
      expect(b.authorizations()).toEqual([bearerFor(SCOPE_B)])
      expect(c.authorizations()).toEqual([undefined])
    })

    it('replaces the caller’s Authorization on a configured origin and keeps it on another, without touching the caller’s init', async () => {
      const [a, c] = [await server(), await server()]
      const fetch = authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })
      const init = Object.freeze({ headers: Object.freeze({ Authorization: 'Basic Y2FsbGVy', 'x-trace': '1' }) })
      await fetch(a.origin, init)
      await fetch(c.origin, init)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(a.requests[0]?.headers['x-trace']).toBe('1')
      expect(c.authorizations()).toEqual(['Basic Y2FsbGVy'])
      expect(init).toEqual({ headers: { Authorization: 'Basic Y2FsbGVy', 'x-trace': '1' } })
    })

    it('takes method, headers and body from a Request, and init over them', async () => {
      const a = await server()
      const provider = fakeProvider()
      const fetch = authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })
      const signal = new AbortController().signal
      await fetch(new Request(`${a.origin}/r`, { method: 'PUT', body: 'payload', headers: { 'x-from': 'request' }, signal }))
      await fetch(new Request(`${a.origin}/r`, { headers: { 'x-from': 'request' } }), { headers: { 'x-from': 'init' } })
      expect(a.requests.map((r) => [r.method, r.body, r.headers['x-from'], r.authorization])).toEqual([
        ['PUT', 'payload', 'request', bearerFor(SCOPE_A)],
        ['GET', '', 'init', bearerFor(SCOPE_A)],
      ])
      expect(provider.getToken.mock.calls[0]?.[1]?.signal).toBeInstanceOf(AbortSignal)
    })

    it('passes the caller’s signal to getToken', async () => {
      const a = await server()
      const provider = fakeProvider()
      const signal = new AbortController().signal
      await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin, { signal })
      expect(provider.getToken).toHaveBeenCalledWith(SCOPE_A, { signal })
    })
  })

  describe('claims challenge', () => {
    it('retries once with a token for the decoded claims', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      const response = await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin)
      expect(response.status).toBe(200)
      await expect(response.text()).resolves.toBe('with claims')
      expect(provider.getToken.mock.calls).toEqual([
        [SCOPE_A, { signal: undefined }],
        [SCOPE_A, { signal: undefined, claims: CLAIMS }],
      ])
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A, CLAIMS)])
    })

    it('retries once per hop, each configured hop with its own scope', async () => {
      const b = await server(challengeUnlessClaims(SCOPE_B))
      const a = await server((q, res) => {
        if (q.authorization === bearerFor(SCOPE_A, CLAIMS)) res.writeHead(307, { location: `${b.origin}/b` }).end()
        else res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end()
      })
      const provider = fakeProvider()
      const response = await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } })(a.origin)
      await expect(response.text()).resolves.toBe('with claims')
      expect(provider.getToken.mock.calls.map(([scope, options]) => [scope, options?.claims])).toEqual([
        [SCOPE_A, undefined],
        [SCOPE_A, CLAIMS],
        [SCOPE_B, undefined],
        [SCOPE_B, CLAIMS],
      ])
    })

    it.each([
      ['a string', (): NonNullable<RequestInit['body']> => 'n=1', 'n=1'],
      ['URLSearchParams', (): NonNullable<RequestInit['body']> => new URLSearchParams({ n: '1' }), 'n=1'],
      ['a Uint8Array', (): NonNullable<RequestInit['body']> => new TextEncoder().encode('n=1'), 'n=1'],
      ['a Blob', (): NonNullable<RequestInit['body']> => new Blob(['n=1']), 'n=1'],
    ])('sends %s body again on the retry', async (_name, body, sent) => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const response = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(a.origin, { method: 'POST', body: body() })
      expect(response.status).toBe(200)
      expect(a.requests.map((r) => r.body)).toEqual([sent, sent])
    })

    it('replays the body of a Request input', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const response = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(new Request(a.origin, { method: 'POST', body: 'from a request' }))
      expect(response.status).toBe(200)
      expect(a.requests.map((r) => r.body)).toEqual(['from a request', 'from a request'])
    })

    it('returns a second 401 to the caller instead of looping', async () => {
      const a = await server((_q, res) => res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('still no'))
      const provider = fakeProvider()
      const response = await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin)
      expect(response.status).toBe(401)
      await expect(response.text()).resolves.toBe('still no')
      expect(a.requests).toHaveLength(2)
      expect(provider.getToken).toHaveBeenCalledTimes(2)
    })

    it('does not retry a request whose body is a stream', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      const init = { method: 'POST', body: streamOf('streamed'), duplex: 'half' } as RequestInit
      const response = await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin, init)
      expect(response.status).toBe(401)
      expect(a.requests.map((r) => r.body)).toEqual(['streamed'])
      expect(provider.getToken).toHaveBeenCalledTimes(1)
    })

    it('passes a 401 without a claims challenge through', async () => {
      const a = await server((_q, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="", error="invalid_token"' }).end('no'))
      const provider = fakeProvider()
      expect((await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin)).status).toBe(401)
      expect(provider.getToken).toHaveBeenCalledTimes(1)
    })

    it('ignores a claims challenge from an origin that is not configured', async () => {
      const c = await server((_q, res) => res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('no'))
      const provider = fakeProvider()
      expect((await authorizedFetch({ provider, origins: { 'https://a.example': SCOPE_A } })(c.origin)).status).toBe(401)
      expect(c.requests).toHaveLength(1)
      expect(provider.getToken).not.toHaveBeenCalled()
    })
  })

  describe('redirects', () => {
    it('gives no token, ours or the caller’s, to a hop to an unconfigured origin', async () => {
      const c = await server()
      const a = await server(redirectTo(() => `${c.origin}/landed`))
      const fetch = authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })
      const response = await fetch(`${a.origin}/start`, { headers: { authorization: 'Basic Y2FsbGVy' } })
      expect(response.status).toBe(200)
      expect(response.redirected).toBe(true)
      expect(response.url).toBe(`${c.origin}/landed`)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(c.authorizations()).toEqual([undefined])
      expect(c.requests[0]?.raw).not.toContain(TOKEN_MARK)
    })

    it('gives a hop to another configured origin that origin’s token', async () => {
      const b = await server()
      const a = await server(redirectTo(() => `${b.origin}/b`, 307))
      const provider = fakeProvider()
      const response = await authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } })(a.origin, { method: 'POST', body: 'kept' })
      expect(response.status).toBe(200)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(b.requests.map((r) => [r.method, r.body, r.authorization])).toEqual([['POST', 'kept', bearerFor(SCOPE_B)]])
    })

    it('matches every hop on its own, same-origin hops and returns included', async () => {
      let aOrigin = ''
      const c = await server(redirectTo(() => `${aOrigin}/back`))
      const a = await server((q, res) => {
        if (q.url === '/start') res.writeHead(301, { location: '/next' }).end()
        else if (q.url === '/next') res.writeHead(302, { location: `${c.origin}/away` }).end()
        else res.end('back')
      })
      aOrigin = a.origin
      const response = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(`${a.origin}/start`)
      await expect(response.text()).resolves.toBe('back')
      expect(a.requests.map((r) => r.url)).toEqual(['/start', '/next', '/back'])
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A), bearerFor(SCOPE_A), bearerFor(SCOPE_A)])
      expect(c.authorizations()).toEqual([undefined])
    })

    it('keeps the caller’s own Authorization on same-origin hops of an unconfigured origin and drops it cross-origin, as fetch does', async () => {
      const d = await server()
      const c = await server((q, res) => res.writeHead(302, { location: q.url === '/start' ? '/same' : `${d.origin}/other` }).end())
      await authorizedFetch({ provider: fakeProvider(), origins: { 'https://a.example': SCOPE_A } })(`${c.origin}/start`, { headers: { authorization: 'Basic Y2FsbGVy' } })
      expect(c.authorizations()).toEqual(['Basic Y2FsbGVy', 'Basic Y2FsbGVy'])
      expect(d.authorizations()).toEqual([undefined])
    })

    it.each([
      [303, 'POST', 'GET', ''],
      [303, 'PUT', 'GET', ''],
      [302, 'POST', 'GET', ''],
      [301, 'POST', 'GET', ''],
      [302, 'PUT', 'PUT', 'payload'],
      [307, 'POST', 'POST', 'payload'],
      [308, 'PUT', 'PUT', 'payload'],
    ])('follows a %i after %s with %s, as fetch does', async (status, method, nextMethod, nextBody) => {
      const b = await server()
      const a = await server(redirectTo(() => `${b.origin}/b`, status))
      await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A, [b.origin]: SCOPE_B } })(a.origin, {
        method,
        body: 'payload',
        headers: { 'content-type': 'text/plain' },
      })
      expect(b.requests.map((r) => [r.method, r.body, r.headers['content-type'], r.authorization])).toEqual([
        [nextMethod, nextBody, nextBody === '' ? undefined : 'text/plain', bearerFor(SCOPE_B)],
      ])
    })

    it('respects redirect: manual', async () => {
      const c = await server()
      const a = await server(redirectTo(() => `${c.origin}/c`))
      const response = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(a.origin, { redirect: 'manual' })
      expect(response.status).toBe(302)
      expect(c.requests).toHaveLength(0)
    })

    it('respects redirect: error', async () => {
      const c = await server()
      const a = await server(redirectTo(() => `${c.origin}/c`))
      await expect(authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(a.origin, { redirect: 'error' })).rejects.toBeInstanceOf(TypeError)
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expect(c.requests).toHaveLength(0)
    })

    it('follows at most 20 redirects, then rejects like fetch', async () => {
      const a = await server((q, res) => res.writeHead(302, { location: `/hop${Number(q.url.slice(4) || 0) + 1}` }).end())
      const error: unknown = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(`${a.origin}/hop0`).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(TypeError)
      expectNoToken(error)
      expect(a.requests).toHaveLength(21)
    })

    it('rejects a 307 of a stream body like fetch, without sending it anywhere else', async () => {
      const b = await server()
      const a = await server(redirectTo(() => `${b.origin}/b`, 307))
      const init = { method: 'POST', body: streamOf('streamed'), duplex: 'half' } as RequestInit
      await expect(authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(a.origin, init)).rejects.toBeInstanceOf(TypeError)
      expect(b.requests).toHaveLength(0)
    })
  })

  describe('failures', () => {
    it('rejects with the provider’s error and sends nothing', async () => {
      const a = await server()
      const provider = fakeProvider()
      provider.getToken.mockRejectedValueOnce(new KeylessError('unavailable', 'fake: no identity here', { source: 'fake' }))
      await expect(authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin)).rejects.toMatchObject({ code: 'unavailable', source: 'fake' })
      expect(a.requests).toHaveLength(0)
    })

    it('rejects with the provider’s error when the claims token cannot be had', async () => {
      const a = await server(challengeUnlessClaims(SCOPE_A))
      const provider = fakeProvider()
      provider.getToken.mockImplementationOnce(async (scope, options) => fakeProvider().getToken(scope, options))
      provider.getToken.mockRejectedValueOnce(new KeylessError('rejected', 'fake: claims refused', { source: 'fake', status: 400 }))
      await expect(authorizedFetch({ provider, origins: { [a.origin]: SCOPE_A } })(a.origin)).rejects.toMatchObject({ code: 'rejected' })
      expect(a.requests).toHaveLength(1)
    })

    it('puts no token into the error of a connection reset after the token was sent', async () => {
      const a = await server((_q, res) => res.socket?.destroy())
      const error: unknown = await authorizedFetch({ provider: fakeProvider(), origins: { [a.origin]: SCOPE_A } })(a.origin).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(a.authorizations()).toEqual([bearerFor(SCOPE_A)])
      expectNoToken(error)
    })
  })
})
