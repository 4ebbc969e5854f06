import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHttpClient } from '../../src/http/http-client.js'
import { isDirectHost, isLinkLocalIPv4, isLoopbackHost } from '../../src/http/is-direct-host.js'
import { loopbackServer } from './loopback-server.js'

describe('isDirectHost()', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.255',
    '::1',
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[::ffff:127.0.0.1]',
    new URL('http://[::ffff:127.0.0.1]/').hostname,
    'localhost',
    'LOCALHOST',
    'localhost.',
    'app.localhost',
    '169.254.169.254',
    new URL('http://169.254.169.254:80/metadata').hostname,
    '169.254.169.253',
    '169.254.129.2',
    new URL('http://0xA9FE8102:8081/msi/token').hostname,
  ])('keeps %s off proxies', (host) => {
    expect(isDirectHost(host)).toBe(true)
  })

  it.each([
    'login.microsoftonline.com',
    'example.com',
    '128.0.0.1',
    '10.0.0.1',
    '169.255.0.1',
    '169.254.169.2540',
    '169.254.example.com',
    '[::2]',
    '[::ffff:10.0.0.1]',
    'localhost.example.com',
    'notlocalhost',
    '',
  ])('lets %s use a configured proxy', (host) => {
    expect(isDirectHost(host)).toBe(false)
  })
})

describe('isLoopbackHost()', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', new URL('http://[::ffff:127.0.0.1]/').hostname, 'localhost', 'LocalHost'])('counts %s as this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  // A name the system resolver may send to DNS is never trusted with a secret over plain http.
  it.each(['localhost.', 'app.localhost', '169.254.169.254', '10.0.0.1', 'localhost.example.com', ''])('does not count %s', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })
})

describe('isLinkLocalIPv4()', () => {
  it.each(['169.254.129.2', '169.254.169.254', '169.254.0.1', new URL('http://0xA9FE8102/').hostname])('counts %s', (host) => {
    expect(isLinkLocalIPv4(host)).toBe(true)
  })

  it.each(['169.255.0.1', '10.0.0.4', '169.254.example.com', '[fe80::1]', 'localhost', ''])('does not count %s', (host) => {
    expect(isLinkLocalIPv4(host)).toBe(false)
  })
})

/** A loopback forward proxy that records every CONNECT or request that reaches it, and refuses it. */
async function recordingProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`)
    res.writeHead(403).end()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    seen.push(`CONNECT ${req.url ?? ''}`)
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('createHttpClient()', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function setUp() {
    const proxy = await recordingProxy()
    cleanups.push(() => proxy.close())
    for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) vi.stubEnv(name, proxy.url)
    vi.stubEnv('NO_PROXY', '')
    vi.stubEnv('no_proxy', '')
    const http = createHttpClient({ source: 'test', retryableStatuses: new Set() })
    cleanups.push(() => http.close())
    return { proxy, http }
  }

  it('connects directly to a loopback endpoint while HTTP_PROXY is set', async () => {
    const { proxy, http } = await setUp()
    const endpoint = await loopbackServer((_req, res) => res.end('{"ok":true}'))
    cleanups.push(() => endpoint.close())
    await expect(
      http.request({ method: 'GET', url: new URL('/token', endpoint.origin), headers: {}, signal: new AbortController().signal }),
    ).resolves.toEqual({ status: 200, body: { ok: true } })
    expect(endpoint.hits()).toBe(1)
    expect(proxy.seen).toEqual([])
  })

  it('sends other hosts through the proxy named by HTTP_PROXY', async () => {
    // The control for the test above: the only socket opened here is to the loopback proxy,
    // which refuses the tunnel, so nothing leaves the machine.
    const { proxy, http } = await setUp()
    await expect(
      http.request({ method: 'GET', url: new URL('http://keyless-proxy-check.invalid/token'), headers: {}, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ code: 'network' })
    expect(proxy.seen).toHaveLength(1)
    expect(proxy.seen[0]).toContain('keyless-proxy-check.invalid')
  })
})
