import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_OVERSIZED_BYTES, startEmulator } from '../src/index.js'
import type { Emulator, FaultStep } from '../src/index.js'
import { VAULT, imdsRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

describe('faults.enqueue()', () => {
  it.each([[404], [408], [410], [429], [500], [503], [504]])('answers %i with an IMDS-shaped error body', async (status) => {
    emulator.faults.enqueue({ status })
    const res = await imdsRequest(emulator.port)
    expect(res.status).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description'])
    expect(typeof body['error']).toBe('string')
    expect(res.headers['retry-after']).toBeUndefined()
  })

  it.each([['seconds', '3'], ['an HTTP-date', 'Wed, 21 Oct 2015 07:28:00 GMT']])(
    'sends Retry-After given in %s verbatim',
    async (_label, retryAfter) => {
      emulator.faults.enqueue({ status: 429, retryAfter })
      const res = await imdsRequest(emulator.port)
      expect(res.status).toBe(429)
      expect(res.headers['retry-after']).toBe(retryAfter)
    },
  )

  it('sends a custom body instead of the default one', async () => {
    emulator.faults.enqueue({ status: 500, body: { error: 'unknown', error_description: 'custom', extra: [1] } })
    const res = await imdsRequest(emulator.port)
    expect(res.json()).toEqual({ error: 'unknown', error_description: 'custom', extra: [1] })
  })

  it('consumes one step per token request, in order, then answers normally', async () => {
    emulator.faults.enqueue({ status: 503 }, { status: 404 }, { status: 410 })
    expect(emulator.faults.pending).toBe(3)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await imdsRequest(emulator.port)).status)
    expect(statuses).toEqual([503, 404, 410, 200])
    expect(emulator.faults.pending).toBe(0)
  })

  it('does not consume a step for a request that fails validation', async () => {
    emulator.faults.enqueue({ status: 503 })
    expect((await imdsRequest(emulator.port, { headers: {} })).status).toBe(400)
    expect((await imdsRequest(emulator.port)).status).toBe(503)
  })

  it('answers a normal token for a 200 step without a body', async () => {
    emulator.faults.enqueue({ status: 200 })
    const res = await imdsRequest(emulator.port)
    expect(await emulator.verify(res.json<ImdsTokenBody>().access_token)).toMatchObject({ aud: VAULT })
  })

  it('leaves a hung request unanswered until close() ends it', async () => {
    const local = await startEmulator()
    local.faults.enqueue({ kind: 'hang' })
    let settled = false
    const hung = imdsRequest(local.port).finally(() => {
      settled = true
    })
    hung.catch(() => undefined)
    await local.waitForRequests(1)
    expect((await imdsRequest(local.port)).status).toBe(200)
    expect(settled).toBe(false)
    expect(local.requests[0]).toMatchObject({ status: 0, fault: 'hang' })
    await local.close()
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  it('lets a client abort a hung request', async () => {
    emulator.faults.enqueue({ kind: 'hang' })
    const controller = new AbortController()
    const hung = imdsRequest(emulator.port, { signal: controller.signal })
    await emulator.waitForRequests(1)
    controller.abort()
    await expect(hung).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('resets the connection', async () => {
    emulator.faults.enqueue({ kind: 'reset' })
    await expect(imdsRequest(emulator.port)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(emulator.requests[0]).toMatchObject({ status: 0, fault: 'reset' })
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('answers 200 with a body that is not JSON', async () => {
    emulator.faults.enqueue({ kind: 'non-json' })
    const res = await imdsRequest(emulator.port)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError)
  })

  it('answers non-JSON with a chosen body and content type', async () => {
    emulator.faults.enqueue({ kind: 'non-json', body: '{"access_token":', contentType: 'application/json' })
    const res = await imdsRequest(emulator.port)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.text).toBe('{"access_token":')
  })

  it('answers an oversized but valid token body of 1 MiB by default', async () => {
    emulator.faults.enqueue({ kind: 'oversized' })
    const res = await imdsRequest(emulator.port)
    expect(res.status).toBe(200)
    expect(Buffer.byteLength(res.text)).toBe(DEFAULT_OVERSIZED_BYTES)
    expect(Number(res.headers['content-length'])).toBe(DEFAULT_OVERSIZED_BYTES)
    expect(res.json<ImdsTokenBody>().resource).toBe(VAULT)
  })

  it('answers an oversized body of the given size', async () => {
    emulator.faults.enqueue({ kind: 'oversized', bytes: 65_536 })
    expect(Buffer.byteLength((await imdsRequest(emulator.port)).text)).toBe(65_536)
  })

  it('answers 200 without access_token', async () => {
    emulator.faults.enqueue({ kind: 'no-access-token' })
    const body = (await imdsRequest(emulator.port)).json()
    expect(body).not.toHaveProperty('access_token')
    expect(body).toMatchObject({ resource: VAULT, token_type: 'Bearer' })
    expect(emulator.counters.tokensMinted).toBe(0)
  })

  it('echoes a resource that differs from the requested one', async () => {
    emulator.faults.enqueue({ kind: 'resource-mismatch' }, { kind: 'resource-mismatch' })
    expect((await imdsRequest(emulator.port)).json<ImdsTokenBody>().resource).toBe(`${VAULT}/`)
    const withSlash = await imdsRequest(emulator.port, { query: `api-version=2018-02-01&resource=${encodeURIComponent(`${VAULT}/`)}` })
    expect(withSlash.json<ImdsTokenBody>().resource).toBe(VAULT)
  })

  it('answers a token whose expiry lies in the past', async () => {
    emulator.faults.enqueue({ kind: 'expires-in-past' })
    const body = (await imdsRequest(emulator.port)).json<ImdsTokenBody>()
    expect(Number(body.expires_on)).toBeLessThan(Date.now() / 1000)
    expect(Number(body.expires_in)).toBeLessThan(0)
    await expect(emulator.verify(body.access_token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  it.each<[string, unknown]>([
    ['an unknown kind', { kind: 'explode' }],
    ['a status below 100', { status: 99 }],
    ['a fractional status', { status: 500.5 }],
    ['a numeric retryAfter', { status: 429, retryAfter: 3 }],
    ['a non-object body', { status: 500, body: 'oops' }],
    ['zero oversized bytes', { kind: 'oversized', bytes: 0 }],
    ['a non-object step', 'hang'],
  ])('throws ERR_EMULATOR_FAULT for %s', (_label, step) => {
    expect(() => emulator.faults.enqueue(step as FaultStep)).toThrow(expect.objectContaining({ code: 'ERR_EMULATOR_FAULT' }))
    expect(emulator.faults.pending).toBe(0)
  })
})

describe('faults.always()', () => {
  it('applies to every request after the script until clear()', async () => {
    emulator.faults.enqueue({ status: 404 })
    emulator.faults.always({ status: 500 })
    const statuses = [(await imdsRequest(emulator.port)).status, (await imdsRequest(emulator.port)).status, (await imdsRequest(emulator.port)).status]
    expect(statuses).toEqual([404, 500, 500])
    emulator.faults.clear()
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })
})

describe('faults.latencyMs()', () => {
  it('still answers every request after the added delay', async () => {
    emulator.faults.latencyMs(20)
    emulator.faults.enqueue({ status: 503 })
    expect((await imdsRequest(emulator.port)).status).toBe(503)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
    expect((await imdsRequest(emulator.port, { headers: {} })).status).toBe(400)
  })

  it('runs on the real clock while the test uses fake timers', async () => {
    vi.useFakeTimers()
    try {
      emulator.faults.latencyMs(20)
      expect((await imdsRequest(emulator.port)).status).toBe(200)
    } finally {
      vi.useRealTimers()
    }
  })

  it('lets close() end requests still waiting out the delay', async () => {
    const local = await startEmulator()
    local.faults.latencyMs(600_000)
    const waiting = imdsRequest(local.port)
    waiting.catch(() => undefined)
    await local.waitForRequests(1)
    await local.close()
    await expect(waiting).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  it('throws ERR_EMULATOR_FAULT for a negative delay', () => {
    expect(() => emulator.faults.latencyMs(-1)).toThrow(expect.objectContaining({ code: 'ERR_EMULATOR_FAULT' }))
  })
})

describe('faults.clear()', () => {
  it('drops the script, the always step and the latency', async () => {
    emulator.faults.enqueue({ status: 500 }, { kind: 'hang' })
    emulator.faults.always({ kind: 'reset' })
    emulator.faults.latencyMs(50)
    emulator.faults.clear()
    expect(emulator.faults.pending).toBe(0)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })
})
