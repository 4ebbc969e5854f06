import http from 'node:http'
import net from 'node:net'
import { startEmulator } from '@keyless/emulator'
import { interceptors, MockAgent } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { probeImds } from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

afterEach(() => {
  vi.useRealTimers()
})

/** Probes the loopback `port` with a 1 s timeout under fake time, stepping the clock until it settles. */
async function probedUnderFakeTime(port: number): Promise<boolean> {
  useEngineFakeTimers()
  try {
    return await settle(probeImds({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1000 }), { stepMs: 50 })
  } finally {
    vi.useRealTimers()
  }
}

/** Docker Desktop's answer to a container that asks for 169.254.169.254 (protocols.md §9.1). */
const DOCKER_DESKTOP_BODY =
  'connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.'

/** A MockAgent that answers the probe once with `status` and `body`. */
function answering(status: number, body: string, headers: Record<string, string> = { 'content-type': 'text/plain' }): MockAgent {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agent.get('http://127.0.0.1:9').intercept({ path: '/metadata/identity/oauth2/token', method: 'GET' }).reply(status, body, { headers })
  return agent
}

describe('probeImds()', () => {
  it('says available when IMDS answers, even with an error status, and sends no Metadata header', async () => {
    await using emulator = await startEmulator()
    await expect(probeImds({ endpoint: emulator.url })).resolves.toBe(true)
    expect(emulator.requests[0]?.status).toBe(400) // bad_request_102: the probe carries no Metadata header
    expect(emulator.counters.tokensMinted).toBe(0)
  })

  it('says unavailable on a 403 whose body says the network is unreachable (Docker Desktop)', async () => {
    const agent = answering(403, DOCKER_DESKTOP_BODY)
    await expect(probeImds({ endpoint: 'http://127.0.0.1:9', dispatcher: agent })).resolves.toBe(false)
    agent.assertNoPendingInterceptors()
    await agent.close()
  })

  it('finds "unreachable" anywhere in a long 403 body', async () => {
    const agent = answering(403, `${'x'.repeat(40_000)} network is Unreachable`)
    await expect(probeImds({ endpoint: 'http://127.0.0.1:9', dispatcher: agent })).resolves.toBe(false)
    await agent.close()
  })

  it.each([
    [403, JSON.stringify({ error: 'forbidden', error_description: 'Access denied' })],
    [403, ''],
    [400, JSON.stringify({ error: 'invalid_request', error_description: 'Required metadata header not specified' })],
    [400, 'the network is unreachable'], // only a 403 carries Docker Desktop's meaning
    [404, 'unreachable'],
  ])('says available on any other answer: %i %j', async (status, body) => {
    const agent = answering(status, body)
    await expect(probeImds({ endpoint: 'http://127.0.0.1:9', dispatcher: agent })).resolves.toBe(true)
    agent.assertNoPendingInterceptors()
    await agent.close()
  })

  it('says unavailable on Docker Desktop\'s 403 over a real socket, with no dispatcher given', async () => {
    const server = http.createServer((_, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end(DOCKER_DESKTOP_BODY))
    const port = await listen(server)
    try {
      await expect(probeImds({ endpoint: `http://127.0.0.1:${port}` })).resolves.toBe(false)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('sends only Accept: application/json, no Metadata header and no query (protocols.md §9.1)', async () => {
    const seen: http.IncomingHttpHeaders[] = []
    const urls: string[] = []
    const server = http.createServer((req, res) => {
      seen.push(req.headers)
      urls.push(req.url ?? '')
      res.writeHead(400).end()
    })
    const port = await listen(server)
    try {
      await expect(probeImds({ endpoint: `http://127.0.0.1:${port}` })).resolves.toBe(true)
      expect(urls).toEqual(['/metadata/identity/oauth2/token'])
      expect(seen[0]?.['accept']).toBe('application/json')
      expect(seen[0]?.['metadata']).toBeUndefined()
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it.each([
    [{ timeoutMs: -1 }, 'timeoutMs'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ timeoutMs: '1000' }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ dispatcher: {} }, 'dispatcher'],
    [{ endpoint: 'ftp://127.0.0.1' }, 'endpoint'],
  ])('rejects with a config error for a bad option: %j', async (options, name) => {
    const probe = probeImds(options as Parameters<typeof probeImds>[0])
    await expect(probe).rejects.toMatchObject({ code: 'config', source: 'imds' })
    if (name !== 'endpoint') await expect(probe).rejects.toThrow(name)
  })

  it("says unavailable when a 403's body stalls past the timeout: cut short, it cannot be told from Docker's", async () => {
    const server = http.createServer((_, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' })
      res.write('forbidden: ') // and never ends
    })
    const port = await listen(server)
    try {
      await expect(probedUnderFakeTime(port)).resolves.toBe(false)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('never follows a redirect, even through a dispatcher with a redirect interceptor', async () => {
    const agent = new MockAgent()
    agent.disableNetConnect()
    agent.get('http://127.0.0.1:9').intercept({ path: '/metadata/identity/oauth2/token', method: 'GET' }).reply(302, '', { headers: { location: 'http://127.0.0.2:9/elsewhere' } })
    const elsewhere = agent.get('http://127.0.0.2:9')
    elsewhere.intercept({ path: '/elsewhere', method: 'GET' }).reply(403, DOCKER_DESKTOP_BODY)
    const redirecting = agent.compose(interceptors.redirect({ maxRedirections: 3 }))
    await expect(probeImds({ endpoint: 'http://127.0.0.1:9', dispatcher: redirecting })).resolves.toBe(true)
    expect(agent.pendingInterceptors()).toHaveLength(1) // the redirect target was never asked
    await agent.close()
  })

  it('says unavailable when nothing listens', async () => {
    const server = net.createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    await expect(probeImds({ endpoint: `http://127.0.0.1:${port}` })).resolves.toBe(false)
  })

  it('says unavailable when the endpoint accepts but stays silent past the timeout', async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((socket) => sockets.push(socket)) // never answers
    const port = await listen(server)
    try {
      await expect(probedUnderFakeTime(port)).resolves.toBe(false)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
