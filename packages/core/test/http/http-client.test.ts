import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import tls, { rootCertificates } from 'node:tls'
import { Agent, errors, interceptors, MockAgent } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { KeylessError } from '../../src/errors/keyless-error.js'
import { createHttpClient, DEFAULT_MAX_BODY_BYTES, type HttpClient, type HttpClientOptions } from '../../src/http/http-client.js'
import { trustedCertificates } from '../../src/http/trusted-certificates.js'
import { closedPort, loopbackServer, type LoopbackServer } from './loopback-server.js'
import { createTestPki, type TestPki } from './test-certificates.js'

const IMDS_RETRYABLE = new Set([404, 408, 410, 429, 500, 502, 503, 504])
const TOKEN = { access_token: 'fake-token', expires_on: '1893456000', token_type: 'Bearer' }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LoopbackServer> {
  const server = await loopbackServer(handler)
  cleanups.push(() => server.close())
  return server
}

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  const http = createHttpClient({ source: 'imds', retryableStatuses: IMDS_RETRYABLE, ...options })
  cleanups.push(() => http.close())
  return http
}

function get(origin: string, path = '/metadata/identity/oauth2/token', signal = new AbortController().signal) {
  return { method: 'GET' as const, url: new URL(path, origin), headers: { Metadata: 'true' }, signal }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
}

describe('createHttpClient()', () => {
  it('resolves the status and parsed JSON body of a 2xx answer', async () => {
    const server = await serve(json(200, TOKEN))
    await expect(client().request(get(server.origin))).resolves.toEqual({ status: 200, body: TOKEN })
  })

  it('sends the method, path, query, headers and body as given', async () => {
    let seen: Record<string, string | string[] | undefined> = {}
    const server = await serve((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        seen = { method: req.method, url: req.url, header: req.headers['content-type'], body }
        json(200, TOKEN)(req, res)
      })
    })
    await client().request({
      method: 'POST',
      url: new URL('/tenant/oauth2/v2.0/token?x=1', server.origin),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      signal: new AbortController().signal,
    })
    expect(seen).toEqual({
      method: 'POST',
      url: '/tenant/oauth2/v2.0/token?x=1',
      header: 'application/x-www-form-urlencoded',
      body: 'grant_type=client_credentials',
    })
  })

  it('accepts a JSON body that starts with a byte-order mark', async () => {
    const server = await serve((_req, res) => res.end(`\uFEFF${JSON.stringify(TOKEN)}`))
    await expect(client().request(get(server.origin))).resolves.toMatchObject({ body: TOKEN })
  })

  it('rejects a 2xx whose body is not JSON with bad-response', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'))
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'bad-response', retryable: false })
  })

  it('rejects a 2xx with an empty body with bad-response', async () => {
    const server = await serve((_req, res) => res.writeHead(204).end())
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'bad-response' })
  })

  it('rejects a streamed body larger than maxBodyBytes with bad-response', async () => {
    let closed = false
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no content-length
      res.on('close', () => (closed = true))
      const chunk = 'x'.repeat(1024)
      const pump = (): void => {
        while (!closed && res.write(chunk));
        if (!closed) res.once('drain', pump)
      }
      pump()
    })
    await expect(client({ maxBodyBytes: 4096 }).request(get(server.origin))).rejects.toMatchObject({
      code: 'bad-response',
      retryable: false,
    })
  })

  it('rejects a body whose content-length exceeds the cap before reading it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(DEFAULT_MAX_BODY_BYTES + 1) })
      res.write('{') // the rest never comes: only the declared length can fail this request
    })
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'bad-response' })
  })

  it('accepts a body of exactly maxBodyBytes', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(100 - 10) })
    expect(body).toHaveLength(100)
    const server = await serve((_req, res) => res.end(body))
    await expect(client({ maxBodyBytes: 100 }).request(get(server.origin))).resolves.toMatchObject({ status: 200 })
  })

  it('classifies a non-2xx answer with its status, code and upstream error identifier', async () => {
    const server = await serve(json(400, { error: 'invalid_request', error_description: 'Identity not found' }))
    await expect(client().request(get(server.origin))).rejects.toMatchObject({
      code: 'rejected',
      status: 400,
      retryable: false,
      upstreamError: 'invalid_request',
      source: 'imds',
    })
  })

  it('marks a retryable status retryable and reads Retry-After', async () => {
    const server = await serve(json(429, {}, { 'retry-after': '2' }))
    await expect(client().request(get(server.origin))).rejects.toMatchObject({
      code: 'throttled',
      status: 429,
      retryable: true,
      retryAfterMs: 2000,
    })
  })

  it('classifies a non-2xx answer whose body is not JSON', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end('<html>busy</html>'))
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'endpoint-unavailable', status: 503, upstreamError: undefined })
  })

  it('never follows a redirect and rejects it as rejected', async () => {
    const target = await serve(json(200, TOKEN))
    const redirecting = await serve((_req, res) => res.writeHead(302, { location: `${target.origin}/stolen` }).end())
    await expect(client().request(get(redirecting.origin))).rejects.toMatchObject({ code: 'rejected', status: 302, retryable: false })
    expect(redirecting.hits()).toBe(1)
    expect(target.hits()).toBe(0)
  })

  it("never follows a redirect through an injected dispatcher's redirect interceptor, so the secret header stays home", async () => {
    const seen: Array<string | undefined> = []
    const target = await serve((req, res) => {
      seen.push(req.headers['x-identity-header'] as string | undefined)
      json(200, TOKEN)(req, res)
    })
    const redirecting = await serve((_req, res) => res.writeHead(307, { location: `${target.origin}/stolen` }).end())
    const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }))
    cleanups.push(() => dispatcher.close())
    const request = { ...get(redirecting.origin), headers: { 'X-IDENTITY-HEADER': 'platform-secret' } }
    await expect(client({ dispatcher }).request(request)).rejects.toMatchObject({ code: 'rejected', status: 307 })
    await expect(client({ dispatcher }).request({ ...request, method: 'POST', body: 'client_assertion=a.b.c' })).rejects.toMatchObject({ status: 307 })
    expect(redirecting.hits()).toBe(2)
    expect(target.hits()).toBe(0)
    expect(seen).toEqual([])
  })

  describe('answer()', () => {
    it('resolves any status with its body text, through the same seam (no redirect followed)', async () => {
      const target = await serve(json(200, TOKEN))
      const forbidden = await serve((_req, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end('network is unreachable'))
      const redirecting = await serve((_req, res) => res.writeHead(302, { location: `${target.origin}/stolen` }).end())
      await expect(client().answer(get(forbidden.origin))).resolves.toEqual({ status: 403, text: 'network is unreachable' })
      await expect(client().answer(get(redirecting.origin))).resolves.toEqual({ status: 302, text: '' })
      expect(target.hits()).toBe(0)
    })

    it('gives no text for a body over maxBodyBytes, and rejects when no answer came', async () => {
      const big = await serve((_req, res) => res.writeHead(400).end('x'.repeat(2048)))
      await expect(client({ maxBodyBytes: 1024 }).answer(get(big.origin))).resolves.toEqual({ status: 400, text: undefined })
      const port = await closedPort()
      await expect(client().answer(get(`http://127.0.0.1:${port}`))).rejects.toMatchObject({ code: 'network' })
    })
  })

  it('maps a refused connection to a retryable network error with its cause', async () => {
    const port = await closedPort()
    const error: unknown = await client().request(get(`http://127.0.0.1:${port}`)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'network', retryable: true, source: 'imds' })
    expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('maps a socket the server destroys to a retryable network error', async () => {
    const server = await serve((req) => req.socket.destroy())
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'network', retryable: true })
  })

  it('maps a 2xx body cut off after its headers to a retryable network error', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' })
      res.write('{"access_token":', () => req.socket.destroy())
    })
    await expect(client().request(get(server.origin))).rejects.toMatchObject({ code: 'network', retryable: true })
  })

  it('keeps the status of a non-2xx answer whose body is cut off after its headers', async () => {
    const server = await serve((req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': '200' })
      res.write('{"error":', () => req.socket.destroy())
    })
    const error: unknown = await client().request(get(server.origin)).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 503, retryable: true, source: 'imds' })
    expect((error as KeylessError).upstreamError).toBeUndefined()
  })

  it('skips an informational 1xx answer and reads the final one', async () => {
    const server = await serve((req, res) => {
      res.writeEarlyHints({ link: '</x>; rel=preload' }, () => json(200, TOKEN)(req, res))
    })
    await expect(client().request(get(server.origin))).resolves.toEqual({ status: 200, body: TOKEN })
  })

  it('maps an undici headers timeout to a retryable timeout', async () => {
    // undici's own header timer ticks every ~500 ms, so the timeout is injected rather than waited for.
    const mock = new MockAgent()
    mock.disableNetConnect()
    cleanups.push(() => mock.close())
    mock.get('http://127.0.0.1:9').intercept({ path: '/metadata/identity/oauth2/token' }).replyWithError(new errors.HeadersTimeoutError())
    await expect(client({ dispatcher: mock }).request(get('http://127.0.0.1:9'))).rejects.toMatchObject({ code: 'timeout', retryable: true })
  })

  it('rejects with the KeylessError reason of a signal aborted before the request, sending nothing', async () => {
    const server = await serve(json(200, TOKEN))
    const reason = new KeylessError('deadline', 'deadline passed', { source: 'keyless' })
    const controller = new AbortController()
    controller.abort(reason)
    await expect(client().request(get(server.origin, undefined, controller.signal))).rejects.toBe(reason)
    expect(server.hits()).toBe(0)
  })

  it('rejects with the KeylessError reason of a signal aborted while waiting for the answer', async () => {
    const controller = new AbortController()
    const reason = new KeylessError('timeout', 'attempt timed out', { source: 'keyless', retryable: true })
    const server = await serve(() => controller.abort(reason)) // holds the response open
    await expect(client().request(get(server.origin, undefined, controller.signal))).rejects.toBe(reason)
  })

  it('rejects with aborted when the signal aborts with a plain reason while reading the body', async () => {
    const controller = new AbortController()
    const reason = new Error('caller went away')
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"access_token":', () => controller.abort(reason))
    })
    const error: unknown = await client().request(get(server.origin, undefined, controller.signal)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'aborted', source: 'imds', retryable: false })
    expect((error as Error).cause).toBe(reason)
  })

  it('rejects with closed after close(), which is idempotent', async () => {
    const server = await serve(json(200, TOKEN))
    const http = client()
    await http.request(get(server.origin))
    await http.close()
    await http.close()
    await expect(http.request(get(server.origin))).rejects.toMatchObject({ code: 'closed' })
  })

  it('sends through an injected dispatcher and leaves it open on close()', async () => {
    const mock = new MockAgent()
    mock.disableNetConnect()
    cleanups.push(() => mock.close())
    const pool = mock.get('http://169.254.169.254')
    const path = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'
    pool.intercept({ path, method: 'GET' }).reply(200, TOKEN).times(2)
    const http = createHttpClient({ source: 'imds', retryableStatuses: IMDS_RETRYABLE, dispatcher: mock })
    await expect(http.request(get('http://169.254.169.254', path))).resolves.toMatchObject({ body: TOKEN })
    await http.close()
    const again = createHttpClient({ source: 'imds', retryableStatuses: IMDS_RETRYABLE, dispatcher: mock })
    await expect(again.request(get('http://169.254.169.254', path))).resolves.toMatchObject({ status: 200 })
  })

  it('throws a config error at once for invalid options', () => {
    const base = { source: 'imds', retryableStatuses: IMDS_RETRYABLE }
    expect(() => createHttpClient({ ...base, source: '' })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createHttpClient({ ...base, maxBodyBytes: 0 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createHttpClient({ ...base, connections: 1.5 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createHttpClient({ ...base, headersTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createHttpClient({ ...base, maxRetryAfterMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => createHttpClient({ ...base, retryableStatuses: [429] as unknown as Set<number> })).toThrow(
      expect.objectContaining({ code: 'config' }),
    )
  })
})

describe('createHttpClient(): the ca option', () => {
  const pki = createTestPki({ dnsNames: ['login.example.test'] })
  const other = createTestPki({ caName: 'another test CA' })

  /** An HTTPS server on 127.0.0.1 whose certificate `pki.ca` signed. */
  async function serveTls(certificates: TestPki = pki): Promise<{ origin: string; port: number; hits: () => number }> {
    let hits = 0
    const sockets = new Set<Socket>()
    const server = createHttpsServer({ key: certificates.server.key, cert: certificates.server.cert }, (_req, res) => {
      hits++
      json(200, TOKEN)(_req, res)
    })
    server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const { port } = server.address() as AddressInfo
    return { origin: `https://127.0.0.1:${port}`, port, hits: () => hits }
  }

  it('trusts a server certificate signed by the given CA', async () => {
    const server = await serveTls()
    await expect(client({ ca: pki.ca.cert }).request(get(server.origin))).resolves.toEqual({ status: 200, body: TOKEN })
  })

  it('accepts the CA as a Buffer, in a list, and inside a bundle', async () => {
    const server = await serveTls()
    const bundle = `# a comment line, as in distribution bundles\n${other.ca.cert}\n${pki.ca.cert}`
    for (const ca of [Buffer.from(pki.ca.cert), [other.ca.cert, Buffer.from(pki.ca.cert)], bundle]) {
      await expect(client({ ca }).request(get(server.origin))).resolves.toMatchObject({ status: 200 })
    }
  })

  it('refuses the server without the CA: network, not retryable, nothing reaches the handler', async () => {
    const server = await serveTls()
    const error: unknown = await client().request(get(server.origin)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'network', retryable: false, source: 'imds' })
    expect((error as Error).cause).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    expect(server.hits()).toBe(0)
  })

  it('refuses the server when the given CA is another one', async () => {
    const server = await serveTls()
    await expect(client({ ca: other.ca.cert }).request(get(server.origin))).rejects.toMatchObject({ code: 'network', retryable: false })
  })

  it('keeps Node’s default roots: the given CAs are added after them', () => {
    const trusted = trustedCertificates([pki.ca.cert, Buffer.from(other.ca.cert)], (rule) => {
      throw new Error(rule)
    })
    // Node ≥ 22.15 lists its defaults with getCACertificates('default'); Node 20 has rootCertificates only.
    const query = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates
    const defaults = typeof query === 'function' ? query('default') : rootCertificates
    expect(defaults.length).toBeGreaterThan(0)
    expect(trusted.slice(0, defaults.length)).toEqual(defaults)
    expect(trusted.slice(defaults.length).map((pem) => pem.trim())).toEqual([pki.ca.cert.trim(), other.ca.cert.trim()])
  })

  it('trusts the CA for the TLS tunnelled through an HTTPS_PROXY', async () => {
    const server = await serveTls()
    // A CONNECT proxy on loopback that sends every tunnel to the HTTPS server, whatever the host.
    const tunnels: string[] = []
    const proxySockets = new Set<Socket>()
    const proxy = createNetServer((socket) => {
      proxySockets.add(socket)
      socket.once('data', (head: Buffer) => {
        tunnels.push(head.toString('latin1').split('\r\n')[0] ?? '')
        const upstream = netConnect(server.port, '127.0.0.1', () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          socket.pipe(upstream).pipe(socket)
        })
        proxySockets.add(upstream)
        upstream.on('error', () => socket.destroy())
        socket.on('error', () => upstream.destroy())
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      for (const socket of proxySockets) socket.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    })
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    for (const name of ['HTTPS_PROXY', 'https_proxy']) vi.stubEnv(name, proxyUrl)
    for (const name of ['NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy']) vi.stubEnv(name, '')
    const origin = `https://login.example.test:${server.port}` // not a direct host: goes through the proxy

    await expect(client({ ca: pki.ca.cert }).request(get(origin))).resolves.toMatchObject({ status: 200 })
    await expect(client().request(get(origin))).rejects.toMatchObject({ code: 'network', retryable: false })
    expect(tunnels).toEqual([`CONNECT login.example.test:${server.port} HTTP/1.1`, `CONNECT login.example.test:${server.port} HTTP/1.1`])
    expect(server.hits()).toBe(1)
  })

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['text without a certificate', 'not a certificate'],
    ['a private key', pki.server.key],
    ['a certificate block that does not parse', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['an empty list', []],
    ['a list with a number', [pki.ca.cert, 42]],
    ['a number', 42],
    ['DER bytes', Buffer.from('3082', 'hex')],
  ])('throws a config error at once for %s, without quoting it', (_, ca) => {
    const error: unknown = (() => {
      try {
        createHttpClient({ source: 'imds', retryableStatuses: IMDS_RETRYABLE, ca: ca as string })
      } catch (e: unknown) {
        return e
      }
      return undefined
    })()
    expect(error).toMatchObject({ code: 'config', source: 'imds' })
    expect((error as Error).message).not.toContain('PRIVATE KEY')
    expect((error as Error).message).not.toContain('AAAA')
  })

  it('throws a config error when ca is given with a dispatcher, which it could not apply to', () => {
    const mock = new MockAgent()
    cleanups.push(() => mock.close())
    expect(() => createHttpClient({ source: 'imds', retryableStatuses: IMDS_RETRYABLE, dispatcher: mock, ca: pki.ca.cert })).toThrow(
      expect.objectContaining({ code: 'config' }),
    )
  })
})
