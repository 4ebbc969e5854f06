import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { legacyExpiresOn } from '../src/app-service/app-service-responses.js'
import { DEFAULT_SYSTEM_ASSIGNED, LEGACY_APP_SERVICE_TOKEN_PATH, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity } from '../src/index.js'
import { VAULT } from './http-client.js'
import { LEGACY_QUERY, legacyRequest } from './https-client.js'

const UAMI: ManagedIdentity = {
  clientId: 'b7b70000-0000-4000-8000-00000000000b',
  objectId: 'b7b70000-0000-4000-8000-0000000000b0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b7',
}
// 14:04:05 UTC; with a 1 h lifetime the token expires at 03:04:05 PM.
const NOW = Date.UTC(2026, 10, 30, 14, 4, 5)

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI], now: () => NOW, tokenLifetimeMs: 3_600_000 })
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

describe('legacy App Service 2017-09-01 token endpoint', () => {
  it('serves /msi/legacy/token and puts it in legacyAppService.endpoint', () => {
    expect(emulator.legacyAppService.endpoint).toBe(`${emulator.url}${LEGACY_APP_SERVICE_TOKEN_PATH}`)
    expect(LEGACY_APP_SERVICE_TOKEN_PATH).toBe('/msi/legacy/token')
  })

  it('answers the 2017 body with expires_on as a UTC 12-hour date string', async () => {
    const res = await legacyRequest(emulator)
    expect(res.status).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_on', 'resource', 'token_type'])
    expect(body).toMatchObject({ expires_on: '11/30/2026 03:04:05 PM +00:00', resource: VAULT, token_type: 'Bearer' })
    const claims = await emulator.verify(body['access_token'] as string, { audience: VAULT })
    expect(claims.appid).toBe(DEFAULT_SYSTEM_ASSIGNED.clientId)
  })

  it('accepts the Metadata header Azure ML adds', async () => {
    const res = await legacyRequest(emulator, { headers: { secret: emulator.legacyAppService.secret, Metadata: 'true' } })
    expect(res.status).toBe(200)
  })

  it.each<[string, Record<string, string>]>([
    ['no secret header', {}],
    ['a wrong secret', { secret: 'wrong' }],
    ['the 2019 X-IDENTITY-HEADER instead', { 'X-IDENTITY-HEADER': 'x' }],
  ])('answers 400 to %s', async (_label, headers) => {
    const secret = emulator.legacyAppService.secret
    const sent = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value === 'x' ? secret : value]))
    const res = await legacyRequest(emulator, { headers: sent })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ statusCode: 400, message: expect.any(String), correlationId: expect.any(String) })
    expect(res.text).not.toContain(secret)
  })

  it.each([
    ['api-version 2019-08-01', `resource=${VAULT}&api-version=2019-08-01`],
    ['a missing api-version', `resource=${VAULT}`],
    ['a missing resource', 'api-version=2017-09-01'],
  ])('answers 400 to %s', async (_label, query) => {
    expect((await legacyRequest(emulator, { query })).status).toBe(400)
  })

  it('answers 405 to POST', async () => {
    const res = await legacyRequest(emulator, { method: 'POST' })
    expect([res.status, res.headers['allow']]).toEqual([405, 'GET'])
  })

  it('selects a user-assigned identity by clientid', async () => {
    const res = await legacyRequest(emulator, { query: `${LEGACY_QUERY}&clientid=${UAMI.clientId}` })
    expect(res.status).toBe(200)
    expect(await emulator.verify(res.json()['access_token'] as string)).toMatchObject({ appid: UAMI.clientId })
  })

  it('answers 400 to an unknown clientid', async () => {
    const res = await legacyRequest(emulator, { query: `${LEGACY_QUERY}&clientid=nobody` })
    expect([res.status, res.json()['message']]).toEqual([400, 'Unable to load the proper Managed Identity.'])
  })

  it.each([['client_id'], ['principal_id'], ['object_id'], ['mi_res_id']])(
    'answers 400 to the 2019 selector %s instead of ignoring it',
    async (param) => {
      expect((await legacyRequest(emulator, { query: `${LEGACY_QUERY}&${param}=${UAMI.clientId}` })).status).toBe(400)
    },
  )

  it('logs and counts requests under the app-service-2017 endpoint', async () => {
    await legacyRequest(emulator)
    expect(emulator.requests[0]).toMatchObject({ endpoint: 'app-service-2017', token: true, status: 200 })
    expect(emulator.counters.byEndpoint['app-service-2017']).toBe(1)
  })

  it('uses a given legacySecret and makes a random 32-hex-character one by default', async () => {
    expect(emulator.legacyAppService.secret).toMatch(/^[0-9a-f]{32}$/)
    expect(emulator.legacyAppService.secret).not.toBe(emulator.appService.header)
    await using local = await startEmulator({ legacySecret: 'legacy-secret-value' })
    expect((await legacyRequest(local, { headers: { secret: 'legacy-secret-value' } })).status).toBe(200)
  })
})

describe('legacyExpiresOn()', () => {
  it.each([
    [Date.UTC(2026, 10, 30, 15, 4, 5), '11/30/2026 03:04:05 PM +00:00'],
    [Date.UTC(2026, 0, 2, 0, 0, 0), '01/02/2026 12:00:00 AM +00:00'],
    [Date.UTC(2026, 0, 2, 0, 30, 1), '01/02/2026 12:30:01 AM +00:00'],
    [Date.UTC(2026, 0, 2, 12, 0, 0), '01/02/2026 12:00:00 PM +00:00'],
    [Date.UTC(2026, 0, 2, 11, 59, 59), '01/02/2026 11:59:59 AM +00:00'],
    [Date.UTC(2026, 11, 31, 23, 59, 59), '12/31/2026 11:59:59 PM +00:00'],
    [Date.UTC(2026, 5, 9, 1, 2, 3), '06/09/2026 01:02:03 AM +00:00'],
  ])('formats %i as %s', (epochMs, expected) => {
    expect(legacyExpiresOn(epochMs / 1000)).toBe(expected)
  })
})
