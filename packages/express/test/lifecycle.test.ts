import { imds } from '@keyless/imds'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { keyless, readiness, requestToken, tokenErrors, warmUp } from '../src/index.js'
import { deferred, handleCounts, leakedSince, listen, STORAGE, useHarness, VAULT } from './harness.js'

const h = useHarness()

describe('lifecycle', () => {
  it('leaves no socket or timer behind once the server and the provider are closed', async () => {
    const before = handleCounts()
    const provider = imds({ endpoint: h.emulator.url })
    const app = express()
    const left = deferred<unknown>()
    app.use(keyless({ provider, scopes: [VAULT] }))
    app.get('/ready', readiness({ provider, scopes: [VAULT] }))
    app.get('/token', async (req, res) => res.json({ length: (await requestToken(req)).token.length }))
    app.get('/slow', async (req, res) => {
      left.resolve(await requestToken(req, STORAGE).catch((error: unknown) => error))
      res.end()
    })
    app.use(tokenErrors())
    const server = await listen(app)

    await warmUp({ provider, scopes: [VAULT] })
    expect((await fetch(`${server.url}/ready`)).status).toBe(200)
    expect((await fetch(`${server.url}/token`)).status).toBe(200)
    h.emulator.faults.enqueue({ kind: 'hang' }) // a client that gives up on a fetch that never ends
    const client = new AbortController()
    const slow = fetch(`${server.url}/slow`, { signal: client.signal }).catch(() => undefined)
    await h.emulator.waitForRequests(2)
    client.abort()
    expect(await left.promise).toMatchObject({ code: 'aborted' })
    await slow
    expect(handleCounts().TCPServerWrap).toBeGreaterThan(before.TCPServerWrap)

    await server.close()
    await provider.close()
    expect(await leakedSince(before)).toEqual({})
  })
})
