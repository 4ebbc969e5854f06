import { KeylessError, unavailableProvider, type TokenProvider } from '@keyless/core'
import express, { type ErrorRequestHandler } from 'express'
import { describe, expect, it } from 'vitest'
import { keyless, requestToken, tokenErrors, type TokenErrorsOptions } from '../src/index.js'
import { useHarness, VAULT } from './harness.js'

const h = useHarness()

/** The app's own last-resort handler: whatever tokenErrors() passes on lands here. */
const appHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  res.status(500).json({ passedOn: err instanceof Error ? err.name : typeof err, code: (err as { code?: unknown }).code })
}

async function serve(provider: TokenProvider, options?: TokenErrorsOptions, route?: express.RequestHandler): Promise<string> {
  const app = express()
  app.use(keyless({ provider, scopes: [VAULT] }))
  app.get('/token', async (req, res) => {
    const { token } = await requestToken(req) // Express 5 hands a rejection to the error middleware
    res.json({ length: token.length })
  })
  if (route !== undefined) app.get('/other', route)
  app.use(tokenErrors(options))
  app.use(appHandler)
  return h.serve(app)
}

describe('tokenErrors()', () => {
  it('answers unavailable with 503, the code and the message, no-store', async () => {
    const url = await serve(unavailableProvider('app-service', 'IDENTITY_ENDPOINT is not set'))
    const res = await fetch(`${url}/token`)
    expect(res.status).toBe(503)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('retry-after')).toBeNull()
    const body = (await res.json()) as { error: string; message: string }
    expect(body.error).toBe('unavailable')
    expect(body.message).toMatch(/docs\/errors\.md#unavailable/)
    expect(Object.keys(body).sort()).toEqual(['error', 'message'])
  })

  it('answers rejected (IMDS 400) with 503 and the code, and the process keeps serving', async () => {
    h.emulator.faults.enqueue({ status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } })
    const url = await serve(h.provider({ coolDownMs: 0 }))
    const failed = await fetch(`${url}/token`)
    expect(failed.status).toBe(503)
    const text = await failed.text()
    expect(JSON.parse(text)).toMatchObject({ error: 'rejected' })
    expect(text).not.toContain('Identity not found') // KeylessError messages never carry a response body
    expect((await fetch(`${url}/token`)).status).toBe(200)
  })

  it('answers with the configured status', async () => {
    const url = await serve(unavailableProvider('imds', 'not on a VM'), { status: 500 })
    expect((await fetch(`${url}/token`)).status).toBe(500)
  })

  it('sends Retry-After in whole seconds when the endpoint said how long to wait', async () => {
    h.emulator.faults.enqueue({ status: 429, retryAfter: '7' })
    const url = await serve(h.provider({ retry: { retries: 0 } }))
    const res = await fetch(`${url}/token`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(await res.json()).toMatchObject({ error: 'throttled' })
    // During the cool-down the provider fails fast with an error that wraps the 429: same hint.
    const again = await fetch(`${url}/token`)
    expect(again.headers.get('retry-after')).toBe('7')
    expect(h.emulator.counters.tokenRequests).toBe(1)
  })

  it.each<[string, unknown]>([
    ['an error that is not a KeylessError', new TypeError('boom')],
    ['a config KeylessError (a bug in the app)', new KeylessError('config', 'bad option')],
    ['an invalid-scope KeylessError (a bug in the app)', new KeylessError('invalid-scope', 'bad scope')],
  ])('passes %s on to next()', async (_, error) => {
    const url = await serve(h.provider(), undefined, () => {
      throw error
    })
    const res = await fetch(`${url}/other`)
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ passedOn: (error as Error).name })
  })

  it('passes the error on once headers were sent', async () => {
    const url = await serve(h.provider(), undefined, (_req, res, next) => {
      res.status(200).write('partial')
      next(new KeylessError('network', 'broke mid-response'))
    })
    const res = await fetch(`${url}/other`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow() // Express's final handler destroys the socket
  })

  it.each<[string, unknown]>([
    ['a status that is not a number', { status: '503' }],
    ['a status below 400', { status: 302 }],
    ['a status above 599', { status: 600 }],
    ['a fractional status', { status: 503.5 }],
    ['an unknown option', { code: 503 }],
    ['options that are not an object', 503],
  ])('throws a config error at registration for %s', (_, options) => {
    expect(() => tokenErrors(options as TokenErrorsOptions)).toThrow(expect.objectContaining({ code: 'config', source: 'express' }))
  })
})
