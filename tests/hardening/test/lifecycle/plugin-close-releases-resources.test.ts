/**
 * Lifecycle: after an Express app (`@keyless/express`, a real `app.listen(0)`) or a Fastify app
 * (`@keyless/fastify`) closes, and the provider with it, no timer, socket or handle of keyless
 * remains, including after a client gave up on a request whose token fetch hung; and a warm-up
 * stopped between two tries leaves no timer. Same two checks as
 * provider-close-releases-resources.test.ts, against a baseline taken with the emulator up.
 */
import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { keyless, readiness, requestToken, tokenErrors, warmUp } from '@keyless/express'
import { fastifyKeyless } from '@keyless/fastify'
import express from 'express'
import Fastify from 'fastify'
import { imds, KeylessError, type TokenProvider } from 'keyless'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eventLoopTurns, watchResources } from '../support/active-handles.js'

const VAULT = 'https://vault.azure.net/.default'
const STORAGE = 'https://storage.azure.com/.default'

let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => {
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

/** GET with a fresh connection that closes after the answer (no keep-alive pool of the test's own). */
function get(url: string, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' }, signal }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

function pick(counts: Record<string, number>): Record<string, number> {
  return { TCPSocketWrap: counts['TCPSocketWrap'] ?? 0, TCPServerWrap: counts['TCPServerWrap'] ?? 0, FSEventWrap: counts['FSEventWrap'] ?? 0 }
}

describe('lifecycle: plugins leave nothing behind once the app closes', () => {
  it('@keyless/express: app.listen(0), tokens served, a client aborting a hung fetch, then close', async () => {
    const watch = watchResources()
    const provider = imds({ endpoint: emulator.url })
    const app = express()
    app.use(keyless({ provider, scopes: [VAULT] }))
    app.get('/ready', readiness({ provider, scopes: [VAULT] }))
    app.get('/token', async (req, res) => void res.json({ ok: (await requestToken(req)).token.length > 0 }))
    let slowOutcome: Promise<unknown> | undefined
    app.get('/slow', async (req, res) => {
      slowOutcome = requestToken(req, STORAGE).catch((error: unknown) => error)
      await slowOutcome
      res.end()
    })
    app.use(tokenErrors())
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    await warmUp({ provider, scopes: [VAULT] })
    expect(await get(`${url}/ready`)).toBe(200)
    expect(await get(`${url}/token`)).toBe(200)
    emulator.faults.always({ kind: 'hang' })
    const client = new AbortController()
    const slow = get(`${url}/slow`, client.signal).catch(() => 'aborted')
    await emulator.waitForRequests(2)
    client.abort()
    expect(await slow).toBe('aborted')
    expect(await slowOutcome).toMatchObject({ code: 'aborted' })
    expect(watch.tracker.live().map((h) => h.type)).toContain('Timeout') // the refresh timer is live

    await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))))
    await provider.close()
    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })

  it('@keyless/fastify: an owned provider, app.listen(0), readiness, a hung fetch, then app.close()', async () => {
    const watch = watchResources()
    const app = Fastify()
    await app.register(fastifyKeyless, { source: () => imds({ endpoint: emulator.url }), scopes: [VAULT], readiness: true })
    app.get('/token', async (request) => ({ ok: (await request.getToken()).token.length > 0 }))
    let slowOutcome: Promise<unknown> | undefined
    app.get('/slow', async (request) => {
      slowOutcome = request.getToken(STORAGE).catch((error: unknown) => error)
      return { code: ((await slowOutcome) as { code?: string }).code ?? 'none' }
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    expect(await get(`${url}/token`)).toBe(200)
    expect(await get(`${url}/health/tokens`)).toBe(200)
    emulator.faults.always({ kind: 'hang' })
    const client = new AbortController()
    const slow = get(`${url}/slow`, client.signal).catch(() => 'aborted')
    await emulator.waitForRequests(2)
    expect(watch.tracker.live().map((h) => h.type)).toContain('Timeout') // the refresh timer is live
    // Fastify's close() drains in-flight requests before its onClose hooks (where the owned
    // provider closes), so a request waiting on a hung fetch would hold it for up to deadlineMs;
    // the client leaving ends it at once.
    client.abort()
    expect(await slow).toBe('aborted')
    expect(await slowOutcome).toMatchObject({ code: 'aborted' })

    await app.close() // closes the owned provider
    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })

  it('@keyless/express warmUp(): stopped while it waits to try a scope again, it leaves no timer', async () => {
    const watch = watchResources()
    let tries = 0
    const starting: TokenProvider = {
      name: 'starting',
      getToken: async () => {
        tries++
        throw new KeylessError('endpoint-unavailable', 'starting: the endpoint is not up yet', { source: 'starting' })
      },
    }
    const stop = new AbortController()
    const warming = warmUp({ provider: starting, scopes: [VAULT], signal: stop.signal, delayMs: 60_000, maxDelayMs: 60_000 }).catch((error: unknown) => error)
    const timers = (): number => watch.tracker.live().filter((h) => h.type === 'Timeout').length
    await eventLoopTurns(() => tries === 1 && timers() === 2)
    expect(timers()).toBe(2) // the interval that holds the process open, and the unref'd wait before the next try

    stop.abort()
    expect(await warming).toMatchObject({ code: 'aborted' })
    expect(tries).toBe(1)
    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })
})
