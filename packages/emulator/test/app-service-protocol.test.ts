import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { APP_SERVICE_TOKEN_PATH, DEFAULT_SYSTEM_ASSIGNED, DEFAULT_TENANT_ID, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity } from '../src/index.js'
import { VAULT } from './http-client.js'
import { APP_SERVICE_QUERY, appServiceRequest } from './https-client.js'

const UAMI: ManagedIdentity = {
  clientId: 'a5a50000-0000-4000-8000-00000000000a',
  objectId: 'a5a50000-0000-4000-8000-0000000000a0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a5',
}
const NOW = Date.UTC(2030, 4, 6, 7, 8, 9)
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI], now: () => NOW, tokenLifetimeMs: 3_600_000 })
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

function expectAppServiceError(res: { status: number; json: () => Record<string, unknown> }, status: number): Record<string, unknown> {
  expect(res.status).toBe(status)
  const body = res.json()
  expect(Object.keys(body).sort()).toEqual(['correlationId', 'message', 'statusCode'])
  expect(body).toMatchObject({ statusCode: status, message: expect.any(String), correlationId: expect.stringMatching(GUID) })
  return body
}

describe('App Service 2019-08-01 token endpoint', () => {
  it('serves /msi/token and puts it in appService.endpoint', () => {
    expect(emulator.appService.endpoint).toBe(`${emulator.url}${APP_SERVICE_TOKEN_PATH}`)
    expect(APP_SERVICE_TOKEN_PATH).toBe('/msi/token')
  })

  it('answers the 2019 body: epoch seconds as strings, the resource verbatim, the client id', async () => {
    const resource = 'https://management.azure.com/'
    const res = await appServiceRequest(emulator, { query: `resource=${encodeURIComponent(resource)}&api-version=2019-08-01` })
    expect(res.status).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'client_id', 'expires_on', 'not_before', 'resource', 'token_type'])
    expect(body).toMatchObject({
      expires_on: String(NOW / 1000 + 3600),
      not_before: String(NOW / 1000 - 300),
      resource,
      token_type: 'Bearer',
      client_id: DEFAULT_SYSTEM_ASSIGNED.clientId,
    })
    const claims = await emulator.verify(body['access_token'] as string, { audience: resource })
    expect(claims).toMatchObject({ iss: `https://sts.windows.net/${DEFAULT_TENANT_ID}/`, tid: DEFAULT_TENANT_ID, ver: '1.0' })
  })

  it('accepts the path in any case and with a trailing slash', async () => {
    expect((await appServiceRequest(emulator, { path: '/MSI/Token/' })).status).toBe(200)
  })

  it('does not need a Metadata header', async () => {
    const res = await appServiceRequest(emulator, { headers: { 'X-IDENTITY-HEADER': emulator.appService.header } })
    expect(res.status).toBe(200)
  })

  it.each<[string, Record<string, string | string[]>]>([
    ['no X-IDENTITY-HEADER', {}],
    ['a wrong X-IDENTITY-HEADER', { 'X-IDENTITY-HEADER': 'wrong' }],
    ['an X-IDENTITY-HEADER sent twice', { 'X-IDENTITY-HEADER': ['a', 'b'] }],
    ['the legacy secret header instead', { secret: 'x' }],
  ])('answers 400 to %s', async (_label, headers) => {
    const header = emulator.appService.header
    const sent = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value === 'x' ? header : value]))
    const body = expectAppServiceError(await appServiceRequest(emulator, { headers: sent }), 400)
    expect(JSON.stringify(body)).not.toContain(header)
  })

  it('compares the header value case-sensitively', async () => {
    await using local = await startEmulator({ appServiceHeader: 'Case-Sensitive' })
    expect((await appServiceRequest(local, { headers: { 'X-IDENTITY-HEADER': 'case-sensitive' } })).status).toBe(400)
    expect((await appServiceRequest(local, { headers: { 'x-identity-header': 'Case-Sensitive' } })).status).toBe(200)
  })

  it.each([
    ['a missing api-version', `resource=${VAULT}`],
    ['api-version 2017-09-01', `resource=${VAULT}&api-version=2017-09-01`],
    ['api-version 2018-02-01', `resource=${VAULT}&api-version=2018-02-01`],
    ['a missing resource', 'api-version=2019-08-01'],
    ['an empty resource', 'resource=&api-version=2019-08-01'],
    ['a duplicated query key', `${APP_SERVICE_QUERY}&resource=${VAULT}`],
  ])('answers 400 to %s', async (_label, query) => {
    expectAppServiceError(await appServiceRequest(emulator, { query }), 400)
  })

  it.each([['POST'], ['PUT'], ['DELETE']])('answers 405 to %s with Allow: GET', async (method) => {
    const res = await appServiceRequest(emulator, { method })
    expectAppServiceError(res, 405)
    expect(res.headers['allow']).toBe('GET')
  })

  it.each([
    ['client_id', UAMI.clientId],
    ['principal_id', UAMI.objectId],
    ['object_id', UAMI.objectId],
    ['mi_res_id', UAMI.resourceId],
  ])('selects the user-assigned identity by %s', async (param, value) => {
    const res = await appServiceRequest(emulator, { query: `${APP_SERVICE_QUERY}&${param}=${encodeURIComponent(value)}` })
    expect(res.status).toBe(200)
    const body = res.json()
    expect(body['client_id']).toBe(UAMI.clientId)
    expect(await emulator.verify(body['access_token'] as string)).toMatchObject({ oid: UAMI.objectId, xms_mirid: UAMI.resourceId })
  })

  it('answers 400 to two selectors', async () => {
    const query = `${APP_SERVICE_QUERY}&client_id=${UAMI.clientId}&object_id=${UAMI.objectId}`
    expectAppServiceError(await appServiceRequest(emulator, { query }), 400)
  })

  it('answers 400 "Unable to load the proper Managed Identity." to an unknown identity', async () => {
    const body = expectAppServiceError(await appServiceRequest(emulator, { query: `${APP_SERVICE_QUERY}&client_id=nobody` }), 400)
    expect(body['message']).toBe('Unable to load the proper Managed Identity.')
  })

  it.each([['clientid'], ['msi_res_id']])('answers 400 to the selector name %s of another protocol', async (param) => {
    expectAppServiceError(await appServiceRequest(emulator, { query: `${APP_SERVICE_QUERY}&${param}=${UAMI.clientId}` }), 400)
  })

  it('logs and counts requests under the app-service endpoint', async () => {
    await appServiceRequest(emulator)
    await appServiceRequest(emulator, { headers: {} })
    expect(emulator.requests.map((entry) => [entry.endpoint, entry.token, entry.status])).toEqual([
      ['app-service', true, 200],
      ['app-service', true, 400],
    ])
    expect(emulator.counters.byEndpoint).toEqual({ imds: 0, 'app-service': 2, 'app-service-2017': 0, entra: 0 })
  })
})

describe('startEmulator({ appServiceHeader })', () => {
  it('makes a random 32-hex-character header by default, different per emulator', async () => {
    await using other = await startEmulator()
    expect(emulator.appService.header).toMatch(/^[0-9a-f]{32}$/)
    expect(other.appService.header).toMatch(/^[0-9a-f]{32}$/)
    expect(other.appService.header).not.toBe(emulator.appService.header)
  })

  it('uses the given header', async () => {
    await using local = await startEmulator({ appServiceHeader: 'my-header-value' })
    expect(local.appService.header).toBe('my-header-value')
    expect((await appServiceRequest(local, { headers: { 'X-IDENTITY-HEADER': 'my-header-value' } })).status).toBe(200)
  })

  it.each([[''], ['has space'], ['tab\there']])('throws ERR_EMULATOR_CONFIG for %j without echoing it', async (value) => {
    const error: unknown = await startEmulator({ appServiceHeader: value }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'ERR_EMULATOR_CONFIG' })
    if (value !== '') expect((error as Error).message).not.toContain(value)
  })
})
