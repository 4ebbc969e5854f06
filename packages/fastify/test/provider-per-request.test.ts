/**
 * A provider made inside a handler, once per request, defeats the cache: keyless says so once, in
 * a process warning that names the cause, while the plugin's own provider serves from its cache.
 * Its own file, since the warning is shown once per process.
 */
import { setImmediate } from 'node:timers/promises'
import { imds } from '@keyless/imds'
import { captureWarnings } from '@keyless/test-support'
import { describe, expect, it } from 'vitest'
import { fastifyKeyless } from '../src/index.js'
import { useHarness, VAULT } from './harness.js'

const h = useHarness()
const keylessWarnings = captureWarnings('KeylessWarning')

describe('a provider per request', () => {
  it('is warned about once, from the tenth request on, and the plugin is not what it warns about', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), scopes: [VAULT] })
    app.get('/shared', async (request) => ({ ok: (await request.getToken()).token.length > 0 }))
    app.get('/per-request', async () => {
      const provider = imds({ endpoint: h.emulator.url })
      try {
        return { ok: (await provider.getToken(VAULT)).token.length > 0 }
      } finally {
        await provider.close()
      }
    })

    for (let i = 0; i < 20; i++) expect((await app.inject('/shared')).json()).toEqual({ ok: true })
    for (let i = 1; i <= 8; i++) expect((await app.inject('/per-request')).json()).toEqual({ ok: true })
    await setImmediate()
    expect(keylessWarnings()).toEqual([]) // nine providers so far, the plugin's included
    for (let i = 9; i <= 11; i++) expect((await app.inject('/per-request')).json()).toEqual({ ok: true })
    await setImmediate() // process warnings are emitted on a later tick
    expect(keylessWarnings()).toEqual([
      expect.objectContaining({ code: 'KEYLESS_PROVIDER_PER_CALL', message: expect.stringMatching(/create it once at start-up and share it/) }),
    ])
    expect(h.emulator.counters.tokenRequests).toBe(12) // one for the plugin's provider, then one per request
  })
})
