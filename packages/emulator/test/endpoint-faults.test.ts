import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PATH_PREFIX, TOKEN_ENDPOINTS, startEmulator } from '../src/index.js'
import type { Emulator, TokenEndpoint } from '../src/index.js'
import { VAULT, imdsRequest, rawRequest } from './http-client.js'
import type { RawResponse } from './http-client.js'
import { appServiceRequest, entraTokenRequest, legacyRequest } from './https-client.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

/** A valid token request to `endpoint` of `e`. */
function send(e: Emulator, endpoint: TokenEndpoint, signal?: AbortSignal): Promise<RawResponse> {
  const options = signal === undefined ? {} : { signal }
  switch (endpoint) {
    case 'imds':
      return imdsRequest(e.port, options)
    case 'app-service':
      return appServiceRequest(e, options)
    case 'app-service-2017':
      return legacyRequest(e, options)
    case 'entra':
      return entraTokenRequest(e, options)
  }
}

const ERROR_KEYS: Record<TokenEndpoint, string[]> = {
  imds: ['error', 'error_description'],
  'app-service': ['correlationId', 'message', 'statusCode'],
  'app-service-2017': ['correlationId', 'message', 'statusCode'],
  entra: ['correlation_id', 'error', 'error_codes', 'error_description', 'timestamp', 'trace_id'],
}

const statuses = async (endpoints: TokenEndpoint[]): Promise<number[]> => {
  const out: number[] = []
  for (const endpoint of endpoints) out.push((await send(emulator, endpoint)).status)
  return out
}

describe.each(TOKEN_ENDPOINTS.map((endpoint) => [endpoint]))('every fault kind on %s', (endpoint) => {
  const script = (): ReturnType<Emulator['faultsFor']> => emulator.faultsFor(endpoint)

  it('answers a status with this endpoint’s error body and Retry-After', async () => {
    script().enqueue({ status: 503, retryAfter: '2' })
    const res = await send(emulator, endpoint)
    expect([res.status, res.headers['retry-after']]).toEqual([503, '2'])
    expect(Object.keys(res.json()).sort()).toEqual(ERROR_KEYS[endpoint])
    expect(emulator.requests[0]).toMatchObject({ endpoint, fault: 'status', status: 503 })
  })

  it('answers a normal token for status 200', async () => {
    script().enqueue({ status: 200 })
    const res = await send(emulator, endpoint)
    expect(await emulator.verify(res.json()['access_token'] as string, { audience: VAULT })).toBeDefined()
  })

  it('hangs until the client gives up', async () => {
    script().enqueue({ kind: 'hang' })
    const controller = new AbortController()
    const hung = send(emulator, endpoint, controller.signal)
    await emulator.waitForRequests(1)
    controller.abort()
    await expect(hung).rejects.toMatchObject({ name: 'AbortError' })
    expect(emulator.requests[0]).toMatchObject({ status: 0, fault: 'hang' })
  })

  it('resets the connection', async () => {
    script().enqueue({ kind: 'reset' })
    await expect(send(emulator, endpoint)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect((await send(emulator, endpoint)).status).toBe(200)
  })

  it('answers 200 with a body that is not JSON', async () => {
    script().enqueue({ kind: 'non-json' })
    const res = await send(emulator, endpoint)
    expect(res.status).toBe(200)
    expect(() => JSON.parse(res.text)).toThrow(SyntaxError)
  })

  it('answers an oversized but valid token body', async () => {
    script().enqueue({ kind: 'oversized', bytes: 8192 })
    const res = await send(emulator, endpoint)
    expect(Buffer.byteLength(res.text)).toBe(8192)
    expect(res.json()).toHaveProperty('access_token')
  })

  it('answers 200 without access_token', async () => {
    script().enqueue({ kind: 'no-access-token' })
    const res = await send(emulator, endpoint)
    expect(res.status).toBe(200)
    expect(res.json()).not.toHaveProperty('access_token')
    expect(emulator.counters.tokensMinted).toBe(0)
  })

  it('mismatches the resource: the echoed one, or the audience where nothing is echoed', async () => {
    script().enqueue({ kind: 'resource-mismatch' })
    const body = (await send(emulator, endpoint)).json()
    const seen = endpoint === 'entra' ? decodeJwt(body['access_token'] as string).aud : body['resource']
    expect(seen).toBe(`${VAULT}/`)
  })

  it('answers a token that already expired', async () => {
    script().enqueue({ kind: 'expires-in-past' })
    const token = (await send(emulator, endpoint)).json()['access_token'] as string
    await expect(emulator.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  it('delays the answer by this endpoint’s latency', async () => {
    script().latencyMs(60)
    const started = performance.now()
    expect((await send(emulator, endpoint)).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
  })
})

describe('emulator.faultsFor()', () => {
  it('scripts one endpoint only', async () => {
    emulator.faultsFor('app-service').enqueue({ status: 503 })
    expect(await statuses(['imds', 'app-service-2017', 'entra', 'app-service', 'app-service'])).toEqual([200, 200, 200, 503, 200])
  })

  it('is consulted before the shared script, which any endpoint consumes', async () => {
    emulator.faultsFor('entra').enqueue({ status: 503 })
    emulator.faults.enqueue({ status: 500 })
    expect(await statuses(['entra', 'entra', 'entra'])).toEqual([503, 500, 200])
    emulator.faults.enqueue({ status: 500 })
    expect(await statuses(['imds', 'app-service'])).toEqual([500, 200])
  })

  it('applies its always step before the shared script', async () => {
    emulator.faultsFor('imds').always({ status: 404 })
    emulator.faults.enqueue({ status: 500 })
    expect(await statuses(['imds', 'imds', 'app-service-2017', 'app-service-2017'])).toEqual([404, 404, 500, 200])
  })

  it('returns the same script on every call, with its own pending count', () => {
    emulator.faultsFor('entra').enqueue({ status: 500 }, { status: 500 })
    expect(emulator.faultsFor('entra')).toBe(emulator.faultsFor('entra'))
    expect([emulator.faultsFor('entra').pending, emulator.faults.pending, emulator.faultsFor('imds').pending]).toEqual([2, 0, 0])
  })

  it('is cleared by reset()', async () => {
    for (const endpoint of TOKEN_ENDPOINTS) emulator.faultsFor(endpoint).always({ status: 500 })
    emulator.reset()
    expect(await statuses([...TOKEN_ENDPOINTS])).toEqual([200, 200, 200, 200])
  })

  it('throws ERR_EMULATOR_CONFIG for an unknown endpoint', () => {
    expect(() => emulator.faultsFor('arc' as TokenEndpoint)).toThrow(expect.objectContaining({ code: 'ERR_EMULATOR_CONFIG' }))
  })
})

describe('POST /_admin/faults with endpoint', () => {
  const post = (body: unknown): Promise<RawResponse> =>
    rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('scripts that endpoint only', async () => {
    const res = await post({ endpoint: 'app-service-2017', enqueue: [{ status: 429 }] })
    expect(res.json()).toEqual({ pending: 1 })
    expect(await statuses(['imds', 'app-service-2017'])).toEqual([200, 429])
  })

  it('answers 400 to an unknown endpoint and applies nothing', async () => {
    expect((await post({ endpoint: 'arc', enqueue: [{ status: 429 }] })).status).toBe(400)
    expect(emulator.faults.pending).toBe(0)
  })
})

describe('faults over HTTPS', () => {
  it('lets close() end a hung Entra request', async () => {
    const local = await startEmulator()
    local.faultsFor('entra').enqueue({ kind: 'hang' })
    const hung = send(local, 'entra')
    hung.catch(() => undefined)
    await local.waitForRequests(1)
    await local.close()
    await expect(hung).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) })
  })
})
