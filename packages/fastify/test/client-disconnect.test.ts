import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import { connect as http2Connect, type Http2ServerRequest } from 'node:http2'
import { connect, type Socket } from 'node:net'
import { setImmediate as nextImmediate } from 'node:timers/promises'
import type { AccessToken, TokenProvider } from '@keyless/core'
import { captureWarnings } from '@keyless/test-support'
import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { fastifyKeyless } from '../src/index.js'
import { eventLoopTurns, useHarness, VAULT } from './harness.js'

const h = useHarness()
const listenerWarnings = captureWarnings('MaxListenersExceededWarning')

/** A provider of someone else's that never looks at `options.signal`: it answers when `release()` is called. */
function foreignProvider(): TokenProvider & { readonly calls: number; called(): Promise<void>; release(): void } {
  const waiting: ((token: AccessToken) => void)[] = []
  let calls = 0
  let onCall: (() => void) | undefined
  return {
    name: 'foreign',
    getToken: () =>
      new Promise<AccessToken>((resolve) => {
        calls++
        waiting.push(resolve)
        onCall?.()
      }),
    get calls() {
      return calls
    },
    called: () => (calls > 0 ? Promise.resolve() : new Promise<void>((resolve) => (onCall = resolve))),
    release() {
      const now = Date.now()
      for (const resolve of waiting.splice(0)) resolve({ token: 'foreign-token', expiresAt: now + 3_600_000, refreshAt: now + 1_800_000, tokenType: 'Bearer' })
    },
  }
}

/** Settles to the value or the error of `promise`, and tells whether it has settled yet. */
function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly result: Promise<unknown> } {
  let settled = false
  const result = promise.then(
    (value) => value,
    (error: unknown) => error,
  )
  void result.then(() => (settled = true))
  return {
    get settled() {
      return settled
    },
    result,
  }
}

/** Listens on loopback; `closed` settles when the server side of the first connection has closed. */
async function listen(app: FastifyInstance): Promise<{ port: number; closed: Promise<unknown> }> {
  const closed = once(app.server, 'connection').then(async ([socket]) => once(socket as Socket, 'close'))
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { port: (app.server.address() as { port: number }).port, closed }
}

/** Opens a raw connection and sends one keep-alive GET for `path`. */
function rawGet(port: number, path: string): Socket {
  const client = connect(port, '127.0.0.1', () => client.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`))
  client.on('error', () => {}) // the test destroys it mid-request
  return client
}

describe('request.getToken(): the client connection', () => {
  it("releases the wait when the client disconnects, also with a provider that ignores the signal", async () => {
    const provider = foreignProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT], warmUp: false })
    let pending: ReturnType<typeof watch> | undefined
    app.get('/', async (request) => {
      pending = watch(request.getToken())
      return pending.result
    })
    const { port, closed } = await listen(app)

    const client = rawGet(port, '/')
    await provider.called()
    client.destroy()
    await closed
    await eventLoopTurns(() => pending?.settled === true, 1000)

    expect(pending?.settled).toBe(true)
    await expect(pending?.result).resolves.toMatchObject({ code: 'aborted', source: 'fastify', cause: { name: 'AbortError' } })
    provider.release()
  })

  it("releases the wait when options.signal aborts, also with a provider that ignores the signal", async () => {
    const provider = foreignProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT], warmUp: false })
    app.get('/', async (request) => {
      const controller = new AbortController()
      const pending = request.getToken(VAULT, { signal: controller.signal })
      await provider.called()
      controller.abort(new Error('the handler gave up'))
      return pending
    })

    const res = await app.inject('/')
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'aborted' })
    provider.release()
  })

  it('releases a wait that outlives the reply when the connection closes; fastify.keyless.getToken() goes on', async () => {
    // The documented behaviour (README, "Client disconnects"): no public API tells a request that
    // its reply has finished, so the wait is tied to the connection, not to the reply.
    const provider = foreignProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT], warmUp: false })
    let tied: ReturnType<typeof watch> | undefined
    let untied: ReturnType<typeof watch> | undefined
    app.get('/', (request, reply) => {
      reply.send('accepted')
      tied = watch(request.getToken())
      untied = watch(app.keyless.getToken(VAULT))
    })
    const { port, closed } = await listen(app)

    const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      httpRequest({ host: '127.0.0.1', port, path: '/', headers: { connection: 'close' } }, resolve).end(),
    )
    res.resume()
    await once(res, 'end')
    expect(res.statusCode).toBe(200) // the reply finished before the connection closed
    await closed
    await eventLoopTurns(() => tied?.settled === true, 1000)

    await expect(tied?.result).resolves.toMatchObject({ code: 'aborted', source: 'fastify' })
    expect(untied?.settled).toBe(false)
    provider.release()
    await expect(untied?.result).resolves.toMatchObject({ token: 'foreign-token' })
  })

  it('rejects a wait that starts after the connection closed at once, without asking the provider', async () => {
    const provider = foreignProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT], warmUp: false })
    let late: Promise<ReturnType<typeof watch>> | undefined
    let closed: Promise<unknown> | undefined
    app.get('/', (request, reply) => {
      reply.send('accepted')
      late = closed?.then(() => watch(request.getToken()))
    })
    const listening = await listen(app)
    const { port } = listening
    closed = listening.closed

    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })
    expect(await res.text()).toBe('accepted')
    const pending = await late
    await eventLoopTurns(() => pending?.settled === true, 1000)

    await expect(pending?.result).resolves.toMatchObject({ code: 'aborted', source: 'fastify' })
    expect(provider.calls).toBe(0)
  })

  it('shares one close listener among 20 concurrent cold waits, emits no warning, and leaves none behind', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), warmUp: false })
    const scopes = Array.from({ length: 20 }, (_, i) => `https://r${i}.example.com/.default`)
    let counts: number[] = []
    app.get('/', async (request) => {
      const socket = request.raw.socket
      const before = socket.listenerCount('close')
      const pending = Promise.all(scopes.map(async (scope) => request.getToken(scope)))
      const during = socket.listenerCount('close')
      await pending
      counts = [before, during, socket.listenerCount('close')]
      return 'ok'
    })
    const { port } = await listen(app)

    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    await nextImmediate() // Node emits a warning on a later tick
    const [before = 0] = counts
    expect(counts).toEqual([before, before + 1, before])
    expect(listenerWarnings()).toEqual([])
  })

  it('on HTTP/2, watches the request stream and leaves no listener on it after consecutive cold waits', async () => {
    const app = Fastify({ http2: true })
    await app.register(fastifyKeyless, { provider: h.provider(), warmUp: false })
    let counts: number[] = []
    app.get('/', async (request) => {
      const { stream } = request.raw as Http2ServerRequest
      const before = stream.listenerCount('close')
      for (let i = 0; i < 12; i++) await request.getToken(`https://r${i}.example.com/.default`)
      counts = [before, stream.listenerCount('close')]
      return 'ok'
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const session = http2Connect(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`)
    try {
      const stream = session.request({ ':path': '/' })
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>]
      stream.resume()
      await once(stream, 'end')
      expect(headers[':status']).toBe(200)
      await nextImmediate()
      const [before = 0] = counts
      expect(counts).toEqual([before, before])
      expect(listenerWarnings()).toEqual([])
    } finally {
      session.close()
      await app.close()
    }
  })

  it('aborts every one of 20 concurrent cold waits when the client disconnects', async () => {
    h.emulator.faults.always({ kind: 'hang' })
    const provider = h.unmanagedProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, warmUp: false })
    const scopes = Array.from({ length: 20 }, (_, i) => `https://r${i}.example.com/.default`)
    let outcomes: Promise<unknown[]> | undefined
    let started: () => void = () => {}
    const waiting = new Promise<void>((resolve) => (started = resolve))
    app.get('/', async (request) => {
      outcomes = Promise.all(scopes.map((scope) => watch(request.getToken(scope)).result))
      started()
      return outcomes
    })
    const { port, closed } = await listen(app)

    const client = rawGet(port, '/')
    await waiting
    client.destroy()
    await closed

    const errors = await outcomes
    expect(errors).toHaveLength(20)
    for (const error of errors ?? []) expect(error).toMatchObject({ code: 'aborted', source: 'fastify' })
    await nextImmediate()
    expect(listenerWarnings()).toEqual([])
    await app.close()
    await provider.close() // aborts the shared fetches still hanging at the emulator
  })
})
