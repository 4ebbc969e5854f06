import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PATH_PREFIX, startEmulator } from '../src/index.js'
import type { AdminFaultsBody, Emulator, EmulatorCounters, RequestLogEntry } from '../src/index.js'
import { imdsRequest, rawRequest } from './http-client.js'
import type { RawResponse } from './http-client.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

function post(path: string, body: unknown): Promise<RawResponse> {
  return rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('POST /_admin/faults', () => {
  it('enqueues a script that token requests consume in order', async () => {
    const body: AdminFaultsBody = { enqueue: [{ status: 503, retryAfter: '2' }, { kind: 'non-json' }] }
    const res = await post('/faults', body)
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ pending: 2 })
    const first = await imdsRequest(emulator.port)
    expect([first.status, first.headers['retry-after']]).toEqual([503, '2'])
    expect((await imdsRequest(emulator.port)).headers['content-type']).toMatch(/^text\/html/)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('sets an always step and a latency, and clears them', async () => {
    expect((await post('/faults', { always: { status: 410 }, latencyMs: 20 })).status).toBe(200)
    expect((await imdsRequest(emulator.port)).status).toBe(410)
    expect((await imdsRequest(emulator.port)).status).toBe(410)
    expect((await post('/faults', { clear: true })).json()).toEqual({ pending: 0 })
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('rejects an invalid step with 400 and applies nothing', async () => {
    const res = await post('/faults', { enqueue: [{ status: 500 }, { kind: 'explode' }] })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'ERR_EMULATOR_FAULT' })
    expect(emulator.faults.pending).toBe(0)
  })

  it.each([
    ['a body that is not JSON', '{"enqueue":'],
    ['a JSON array', '[]'],
    ['enqueue that is not an array', { enqueue: { status: 500 } }],
    ['a negative latency', { latencyMs: -5 }],
  ])('answers 400 to %s', async (_label, body) => {
    expect((await post('/faults', body)).status).toBe(400)
  })
})

describe('POST /_admin/reset', () => {
  it('clears the log, the counters and the faults', async () => {
    await imdsRequest(emulator.port)
    emulator.faults.enqueue({ status: 500 })
    expect((await post('/reset', '')).status).toBe(200)
    expect(emulator.requests).toEqual([])
    expect(emulator.counters).toEqual({
      tokenRequests: 0,
      byEndpoint: { imds: 0, 'app-service': 0, 'app-service-2017': 0, entra: 0 },
      byStatus: {},
      tokensMinted: 0,
      maxConcurrent: 0,
    })
    expect(emulator.faults.pending).toBe(0)
  })
})

describe('/_admin/limits', () => {
  it('switches the IMDS limits', async () => {
    expect((await post('/limits', { on: true })).json()).toEqual({ on: true })
    expect(emulator.limits).toBe(true)
    expect((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/limits`)).json()).toEqual({ on: true })
    await post('/limits', { on: false })
    expect(emulator.limits).toBe(false)
    expect((await post('/limits', { on: 'yes' })).status).toBe(400)
  })
})

describe('GET /_admin/requests and /_admin/counters', () => {
  it('return the request log and the counters, without logging admin calls', async () => {
    await imdsRequest(emulator.port)
    await imdsRequest(emulator.port, { headers: {} })
    const requests = (await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/requests`)).json<RequestLogEntry[]>()
    expect(requests.map((entry) => entry.status)).toEqual([200, 400])
    const counters = (await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/counters`)).json<EmulatorCounters>()
    expect(counters).toEqual({
      tokenRequests: 2,
      byEndpoint: { imds: 2, 'app-service': 0, 'app-service-2017': 0, entra: 0 },
      byStatus: { 200: 1, 400: 1 },
      tokensMinted: 1,
      maxConcurrent: 1,
    })
    expect(emulator.requests).toHaveLength(2)
  })

  it('answer 405 to the wrong method and 404 to an unknown admin path', async () => {
    expect((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/requests`, { method: 'DELETE' })).status).toBe(405)
    expect((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/faults`)).status).toBe(405)
    expect((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/nope`)).status).toBe(404)
  })
})
