import { KeylessError } from '@keyless/core'
import { workloadIdentity } from '@keyless/workload-identity'
import { afterEach, describe, expect, it } from 'vitest'
import { fastifyKeyless } from '../src/index.js'
import { activeHandles, eventLoopTurns, STORAGE, trackHandles, useHarness, VAULT } from './harness.js'

const h = useHarness()

describe('fastifyKeyless(): resources', () => {
  let tracker: ReturnType<typeof trackHandles> | undefined
  afterEach(() => tracker?.stop())

  /**
   * Starts watching; the returned check passes when both views agree nothing is left: the
   * active-resource counts are back to what they were, and every handle made since is destroyed.
   */
  function watchHandles(): () => Promise<void> {
    const before = activeHandles()
    const watched = trackHandles()
    tracker = watched
    return async () => {
      const same = (): boolean => JSON.stringify(activeHandles()) === JSON.stringify(before)
      await eventLoopTurns(() => same() && watched.live().length === 0)
      expect(activeHandles()).toEqual(before)
      expect(watched.live()).toEqual([])
    }
  }

  it('leaves no socket, server or timer behind once the app and its owned provider are closed', async () => {
    const expectNothingLeft = watchHandles()
    const before = activeHandles()
    const app = h.app()
    await app.register(fastifyKeyless, { source: () => h.unmanagedProvider(), scopes: [VAULT, STORAGE], readiness: true })
    app.get('/', async (request) => (await request.getToken()).expiresAt)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as { port: number }
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port}/health/tokens`)).status).toBe(200)
    expect(activeHandles()['TCPServerWrap']).toBe((before['TCPServerWrap'] ?? 0) + 1)
    expect(tracker?.live()).toContain('Timeout') // the provider's refresh timers

    await app.close()
    await expectNothingLeft()
  })

  it('leaves a passed-in provider working after app.close(), and nothing behind once its owner closes it', async () => {
    const expectNothingLeft = watchHandles()
    const provider = h.unmanagedProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT] })
    await app.ready()
    await app.close()
    expect(tracker?.live()).toContain('Timeout') // still refreshing: not the plugin's to close
    await expect(provider.getToken(VAULT)).resolves.toMatchObject({ tokenType: 'Bearer' })

    await provider.close()
    await expectNothingLeft()
  })

  it('aborts request.getToken() with aborted when the client disconnects after sending a body', async () => {
    const expectNothingLeft = watchHandles()
    h.emulator.faults.always({ kind: 'hang' })
    const provider = h.unmanagedProvider()
    const app = h.app()
    await app.register(fastifyKeyless, { provider, scopes: [VAULT], warmUp: false })
    let outcome: Promise<unknown> | undefined
    app.post('/', async (request) => {
      outcome = request.getToken().then(
        () => 'resolved',
        (error: unknown) => error,
      )
      return outcome
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as { port: number }

    const client = new AbortController()
    const response = fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }), // the end of a body must not count as a disconnect
      headers: { 'content-type': 'application/json' },
      signal: client.signal,
    }).catch((error: unknown) => error)
    await h.emulator.waitForRequests(1)
    client.abort()
    await response

    const error = await outcome
    expect(error).toBeInstanceOf(KeylessError)
    expect(error).toMatchObject({ code: 'aborted', cause: { name: 'AbortError' } })
    await app.close()
    await provider.close() // aborts the shared fetch still hanging at the emulator
    await expectNothingLeft()
  })

  it('works with a source that is not IMDS: Workload Identity at the emulator Entra ID', async () => {
    const expectNothingLeft = watchHandles()
    const { entra } = h.emulator
    const app = h.app()
    await app.register(fastifyKeyless, {
      source: () =>
        workloadIdentity({
          clientId: entra.clientId,
          tenantId: entra.tenantId,
          tokenFilePath: entra.tokenFile,
          authorityHost: entra.authorityHost,
          ca: entra.caPem,
        }),
      scopes: [VAULT],
    })
    app.get('/', async (request) => ({ token: (await request.getToken()).token }))
    await app.ready()
    expect(h.emulator.counters.byEndpoint['entra']).toBe(1)

    const res = await app.inject('/')
    const claims = await h.emulator.verify(res.json<{ token: string }>().token, { audience: 'https://vault.azure.net' })
    expect(claims.appid).toBe(entra.clientId)
    expect(h.emulator.counters.byEndpoint['entra']).toBe(1)

    await app.close()
    await expectNothingLeft()
  })
})
