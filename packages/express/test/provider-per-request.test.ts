/**
 * A provider made inside a handler, once per request, defeats the cache: keyless says so once, in
 * a process warning that names the cause. Its own file, since the warning is shown once per process.
 */
import { setImmediate } from 'node:timers/promises'
import { imds } from '@keyless/imds'
import express from 'express'
import { captureWarnings } from '@keyless/test-support'
import { describe, expect, it } from 'vitest'
import { useHarness, VAULT } from './harness.js'

const h = useHarness()
const keylessWarnings = captureWarnings('KeylessWarning')

describe('a provider per request', () => {
  it('is warned about once, from the tenth request on, with what to do instead', async () => {
    const app = express()
    app.get('/', async (_req, res) => {
      const provider = imds({ endpoint: h.emulator.url })
      try {
        res.json({ ok: (await provider.getToken(VAULT)).token.length > 0 })
      } finally {
        await provider.close()
      }
    })
    const url = await h.serve(app)

    for (let i = 1; i <= 9; i++) expect(await (await fetch(url)).json()).toEqual({ ok: true })
    expect(keylessWarnings()).toEqual([])
    for (let i = 10; i <= 12; i++) expect(await (await fetch(url)).json()).toEqual({ ok: true })
    await setImmediate() // process warnings are emitted on a later tick
    expect(keylessWarnings()).toEqual([
      expect.objectContaining({ code: 'KEYLESS_PROVIDER_PER_CALL', message: expect.stringMatching(/create it once at start-up and share it/) }),
    ])
    expect(h.emulator.counters.tokenRequests).toBe(12) // the cause: one token request per request
  })
})
