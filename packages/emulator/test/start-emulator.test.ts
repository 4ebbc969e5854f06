import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  DEFAULT_SYSTEM_ASSIGNED,
  DEFAULT_TENANT_ID,
  ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST,
  IMDS_TOKEN_PATH,
  startEmulator,
} from '../src/index.js'
import type { Emulator, EmulatorOptions, ManagedIdentity } from '../src/index.js'
import { VALID_QUERY, imdsRequest, rawRequest, tcpHandles } from './http-client.js'
import { entraTokenRequest } from './https-client.js'
import type { ImdsTokenBody } from './http-client.js'

const UAMI: ManagedIdentity = {
  clientId: 'dddddddd-0000-4000-8000-00000000000d',
  objectId: 'dddddddd-0000-4000-8000-0000000000d0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/d',
}

let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

describe('startEmulator()', () => {
  it('listens on 127.0.0.1 and describes its endpoints', async () => {
    emulator = await startEmulator()
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`)
    expect(emulator.imdsEndpoint).toBe(`${emulator.url}${IMDS_TOKEN_PATH}`)
    expect(emulator.jwksUri).toBe(`${emulator.url}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`)
    expect(emulator.issuer).toBe(`https://sts.windows.net/${DEFAULT_TENANT_ID}/`)
    expect(emulator.env).toEqual({
      [ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]: emulator.url,
    })
    expect(emulator.identities).toEqual({ systemAssigned: DEFAULT_SYSTEM_ASSIGNED, userAssigned: [] })
  })

  it('merges a partial system-assigned identity with the defaults', async () => {
    emulator = await startEmulator({ systemAssigned: { clientId: 'my-client' } })
    expect(emulator.identities.systemAssigned).toEqual({ ...DEFAULT_SYSTEM_ASSIGNED, clientId: 'my-client' })
    expect((await imdsRequest(emulator.port)).json<ImdsTokenBody>().client_id).toBe('my-client')
  })

  it('uses the only user-assigned identity when the system-assigned one is disabled', async () => {
    emulator = await startEmulator({ systemAssigned: false, userAssigned: [UAMI] })
    expect((await imdsRequest(emulator.port)).json<ImdsTokenBody>().client_id).toBe(UAMI.clientId)
  })

  it('answers Identity not found without a selector when several user-assigned identities and no system one exist', async () => {
    emulator = await startEmulator({ systemAssigned: false, userAssigned: [UAMI, { ...UAMI, clientId: 'other' }] })
    const res = await imdsRequest(emulator.port)
    expect(res.status).toBe(400)
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'Identity not found' })
  })

  it.each<[string, EmulatorOptions]>([
    ['a negative port', { port: -1 }],
    ['a fractional port', { port: 1.5 }],
    ['a lifetime under one second', { tokenLifetimeMs: 999 }],
    ['a lifetime that is not whole seconds', { tokenLifetimeMs: 1500 }],
    ['a tenant with a slash', { tenantId: 'a/b' }],
    ['a user-assigned identity without clientId', { userAssigned: [{ ...UAMI, clientId: '' }] }],
  ])('throws ERR_EMULATOR_CONFIG for %s', async (_label, options) => {
    await expect(startEmulator(options)).rejects.toMatchObject({ code: 'ERR_EMULATOR_CONFIG' })
  })

  it('does not write into the options object', async () => {
    const options: EmulatorOptions = Object.freeze({ systemAssigned: Object.freeze({ clientId: 'x' }) })
    emulator = await startEmulator(options)
    expect(options).toEqual({ systemAssigned: { clientId: 'x' } })
  })

  it('rejects with ERR_EMULATOR_LISTEN when the port is taken', async () => {
    emulator = await startEmulator()
    await expect(startEmulator({ port: emulator.port })).rejects.toMatchObject({ code: 'ERR_EMULATOR_LISTEN' })
  })

  it('rejects with ERR_EMULATOR_LISTEN when the Entra port is taken, leaving no handle behind', async () => {
    emulator = await startEmulator()
    const before = tcpHandles()
    const entraPort = Number(new URL(emulator.entra.authorityHost).port)
    await expect(startEmulator({ entraPort })).rejects.toMatchObject({ code: 'ERR_EMULATOR_LISTEN' })
    expect(tcpHandles()).toBeLessThanOrEqual(before)
  })

  it('listens on the given Entra port', async () => {
    const probe = await startEmulator()
    const entraPort = Number(new URL(probe.entra.authorityHost).port)
    await probe.close()
    emulator = await startEmulator({ entraPort })
    expect(emulator.entra.authorityHost).toBe(`https://127.0.0.1:${entraPort}`)
  })
})

describe('emulator.requests and emulator.counters', () => {
  it('log method, path as received, parsed query, status, arrival time and fault', async () => {
    const at = Date.UTC(2030, 0, 1)
    emulator = await startEmulator({ now: () => at })
    emulator.faults.enqueue({ status: 503 })
    await imdsRequest(emulator.port, { path: `/${IMDS_TOKEN_PATH}/`, query: `${VALID_QUERY}&client_id=nope` })
    await imdsRequest(emulator.port)
    await rawRequest(emulator.port, '/elsewhere?a=1&a=2')
    expect(emulator.requests).toEqual([
      {
        method: 'GET',
        path: `/${IMDS_TOKEN_PATH}/`,
        query: { 'api-version': '2018-02-01', resource: 'https://vault.azure.net', client_id: 'nope' },
        status: 400,
        at,
        token: true,
        endpoint: 'imds',
        fault: undefined,
      },
      expect.objectContaining({ path: IMDS_TOKEN_PATH, status: 503, fault: 'status', token: true }),
      expect.objectContaining({ path: '/elsewhere', query: { a: ['1', '2'] }, status: 404, token: false, endpoint: 'other' }),
    ])
  })

  it('redact query values whose keys look secret', async () => {
    emulator = await startEmulator()
    await rawRequest(emulator.port, `${IMDS_TOKEN_PATH}?client_assertion=eyJfake.secret&token_sha256_to_refresh=abc&resource=r`)
    expect(emulator.requests[0]?.query).toEqual({
      client_assertion: '[redacted]',
      token_sha256_to_refresh: '[redacted]',
      resource: 'r',
    })
    expect(JSON.stringify(emulator.requests)).not.toContain('eyJfake')
  })

  it('count token requests, statuses, minted tokens and the peak concurrency', async () => {
    emulator = await startEmulator()
    emulator.faults.enqueue({ status: 500 }, { kind: 'non-json' })
    for (let i = 0; i < 4; i++) await imdsRequest(emulator.port)
    await imdsRequest(emulator.port, { headers: {} })
    await rawRequest(emulator.port, '/.well-known/jwks.json')
    expect(emulator.counters).toEqual({
      tokenRequests: 5,
      byEndpoint: { imds: 5, 'app-service': 0, 'app-service-2017': 0, entra: 0 },
      byStatus: { 200: 3, 400: 1, 500: 1 },
      tokensMinted: 2,
      maxConcurrent: 1,
    })
  })

  it('return snapshots that later requests do not change', async () => {
    emulator = await startEmulator()
    const before = emulator.requests
    const counters = emulator.counters
    await imdsRequest(emulator.port)
    expect(before).toEqual([])
    expect(counters.tokenRequests).toBe(0)
  })
})

describe('default clock', () => {
  it('follows the system time a test sets with fake timers', async () => {
    emulator = await startEmulator()
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.UTC(2031, 5, 1))
      const body = (await imdsRequest(emulator.port)).json<ImdsTokenBody>()
      expect(Number(body.expires_on)).toBe(Date.UTC(2031, 5, 1) / 1000 + 86_400)
      expect(emulator.requests[0]?.at).toBe(Date.UTC(2031, 5, 1))
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('emulator.reset()', () => {
  it('clears the log, the counters and the faults', async () => {
    emulator = await startEmulator()
    await imdsRequest(emulator.port)
    emulator.faults.always({ status: 500 })
    emulator.reset()
    expect(emulator.requests).toEqual([])
    expect(emulator.counters.tokenRequests).toBe(0)
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })
})

describe('emulator.close()', () => {
  it('leaves no TCP handle behind, hung and keep-alive connections included', async () => {
    const before = tcpHandles()
    const local = await startEmulator()
    const keptAlive = await fetch(`${local.imdsEndpoint}?${VALID_QUERY}`, { headers: { Metadata: 'true' } })
    await keptAlive.text()
    local.faults.enqueue({ kind: 'hang' })
    const hung = imdsRequest(local.port)
    hung.catch(() => undefined)
    await local.waitForRequests(2)
    expect(tcpHandles()).toBeGreaterThan(before)
    await local.close()
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' })
    // The server's handles are gone when close() resolves; the client ends its side on the next turns.
    await expect.poll(tcpHandles).toBeLessThanOrEqual(before)
  })

  it('removes the CA file, the token file and their temp directory', async () => {
    const local = await startEmulator()
    const { caFile, tokenFile } = local.entra
    expect([existsSync(caFile), existsSync(tokenFile)]).toEqual([true, true])
    await local.close()
    expect([existsSync(caFile), existsSync(tokenFile), existsSync(dirname(caFile))]).toEqual([false, false, false])
  })

  it('closes the HTTPS server too, hung connections included', async () => {
    const before = tcpHandles()
    const local = await startEmulator()
    expect((await entraTokenRequest(local)).status).toBe(200)
    local.faultsFor('entra').enqueue({ kind: 'hang' })
    const hung = entraTokenRequest(local)
    hung.catch(() => undefined)
    await local.waitForRequests(2)
    await local.close()
    await expect(hung).rejects.toThrow()
    await expect(entraTokenRequest(local, { body: '' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await expect.poll(tcpHandles).toBeLessThanOrEqual(before)
  })

  it('is idempotent and serves Symbol.asyncDispose', async () => {
    const before = tcpHandles()
    {
      await using local = await startEmulator()
      await local.close()
    }
    expect(tcpHandles()).toBeLessThanOrEqual(before)
  })

  it('rejects pending waitForRequests() with ERR_EMULATOR_CLOSED', async () => {
    const local = await startEmulator()
    const waiting = local.waitForRequests(1)
    await local.close()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_EMULATOR_CLOSED' })
    await expect(local.waitForRequests(1)).rejects.toMatchObject({ code: 'ERR_EMULATOR_CLOSED' })
  })

  it('refuses connections afterwards', async () => {
    const local = await startEmulator()
    await local.close()
    await expect(imdsRequest(local.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
