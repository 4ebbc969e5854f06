import type { IncomingMessage, ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import { errors, MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpRequest } from '../../src/http/http-client.js'
import { parseTokenResponse } from '../../src/parse/parse-token-response.js'
import { closedPort, loopbackServer } from './loopback-server.js'

// Recognisable fake secrets, one per place a secret could come from.
const BODY_SECRET = 'BODYSECRET-3f9a1c'
const HEADER_SECRET = 'HEADERSECRET-7b2e4d'
const QUERY_SECRET = 'QUERYSECRET-c81d0a'
const REQUEST_HEADER_SECRET = 'REQHEADERSECRET-55e0f2'
const SECRETS = [BODY_SECRET, HEADER_SECRET, QUERY_SECRET, REQUEST_HEADER_SECRET]

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const leakyHeaders = { 'x-leak': HEADER_SECRET, 'www-authenticate': `Bearer realm="${HEADER_SECRET}"`, 'retry-after': HEADER_SECRET }

// Every failure path of the seam, each answer carrying the secrets wherever it can.
const failures: Array<[string, Handler]> = [
  ['a 400 with a JSON error body', (_q, s) => s.writeHead(400, leakyHeaders).end(JSON.stringify({ error: `bad ${BODY_SECRET}`, error_description: BODY_SECRET, message: BODY_SECRET }))],
  ['a 400 whose error object carries the secret', (_q, s) => s.writeHead(400, leakyHeaders).end(JSON.stringify({ error: { code: `x ${BODY_SECRET}`, message: BODY_SECRET } }))],
  ['a 429', (_q, s) => s.writeHead(429, leakyHeaders).end(BODY_SECRET)],
  ['a 500 with a text body', (_q, s) => s.writeHead(500, leakyHeaders).end(`<html>${BODY_SECRET}</html>`)],
  ['a 302 to a secret location', (_q, s) => s.writeHead(302, { ...leakyHeaders, location: `http://127.0.0.1:1/?${QUERY_SECRET}` }).end(BODY_SECRET)],
  // Short enough that V8 would quote all of it in a JSON.parse SyntaxError, were that kept as cause.
  ['a short 200 that is not JSON', (_q, s) => s.writeHead(200, leakyHeaders).end(`[${BODY_SECRET}]`)],
  ['a 200 that is not JSON', (_q, s) => s.writeHead(200, leakyHeaders).end(`{"access_token":"${BODY_SECRET}" oops`)],
  ['a 200 over the size cap', (_q, s) => s.writeHead(200, leakyHeaders).end(`{"access_token":"${BODY_SECRET}${'x'.repeat(2048)}"}`)],
  ['a reset connection', (q) => q.socket.destroy()],
]

function expectNoSecret(error: unknown): void {
  expect(error).toBeInstanceOf(Error)
  const views = [(error as Error).message, JSON.stringify(error), inspect(error, { depth: Infinity }), String((error as Error).stack)]
  for (const view of views) for (const secret of SECRETS) expect(view).not.toContain(secret)
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function leakyRequest(origin: string, signal = new AbortController().signal): HttpRequest {
  return {
    method: 'GET',
    url: new URL(`/msi/token?resource=r&secret=${QUERY_SECRET}#${QUERY_SECRET}`, origin),
    headers: { 'X-IDENTITY-HEADER': REQUEST_HEADER_SECRET },
    signal,
  }
}

describe('createHttpClient()', () => {
  it.each(failures)('puts no body, header value or query string into the error for %s', async (_name, handler) => {
    const server = await loopbackServer(handler)
    cleanups.push(() => server.close())
    const http = createHttpClient({ source: 'app-service', retryableStatuses: new Set([429, 500]), maxBodyBytes: 1024 })
    cleanups.push(() => http.close())
    const error: unknown = await http.request(leakyRequest(server.origin)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expectNoSecret(error)
  })

  it('puts no query string into the error for a refused connection', async () => {
    const http = createHttpClient({ source: 'app-service', retryableStatuses: new Set() })
    cleanups.push(() => http.close())
    const error: unknown = await http.request(leakyRequest(`http://127.0.0.1:${await closedPort()}`)).catch((e: unknown) => e)
    expectNoSecret(error)
  })

  it('puts no query string into the error for a timeout', async () => {
    const mock = new MockAgent()
    mock.disableNetConnect()
    cleanups.push(() => mock.close())
    mock.get('http://127.0.0.1:9').intercept({ path: /^\/msi\/token/ }).replyWithError(new errors.HeadersTimeoutError())
    const http = createHttpClient({ source: 'app-service', retryableStatuses: new Set(), dispatcher: mock })
    const error: unknown = await http.request(leakyRequest('http://127.0.0.1:9')).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'timeout' })
    expectNoSecret(error)
  })

  it('puts no query string into the error for an aborted request', async () => {
    const http = createHttpClient({ source: 'app-service', retryableStatuses: new Set() })
    cleanups.push(() => http.close())
    const error: unknown = await http.request(leakyRequest('http://127.0.0.1:1', AbortSignal.abort())).catch((e: unknown) => e)
    expectNoSecret(error)
  })
})

describe('parseTokenResponse()', () => {
  it.each([
    ['no expiry', { access_token: BODY_SECRET }],
    ['an unreadable expiry', { access_token: BODY_SECRET, expires_on: BODY_SECRET }],
    ['a past expiry', { access_token: BODY_SECRET, expires_on: 1 }],
    ['a token that is not a string', { access_token: [BODY_SECRET] }],
  ])('puts neither the token nor the body into the error for %s', (_name, body) => {
    let error: unknown
    try {
      parseTokenResponse(body, { source: 'imds', now: Date.UTC(2026, 0, 1) })
    } catch (e: unknown) {
      error = e
    }
    expectNoSecret(error)
  })
})
