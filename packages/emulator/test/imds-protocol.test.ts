import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SYSTEM_ASSIGNED, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity } from '../src/index.js'
import { TOKEN_PATH, VALID_QUERY, VAULT, imdsRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

const UAMI_A: ManagedIdentity = {
  clientId: 'aaaaaaaa-0000-4000-8000-00000000000a',
  objectId: 'aaaaaaaa-0000-4000-8000-0000000000a0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a',
}
const UAMI_B: ManagedIdentity = {
  clientId: 'bbbbbbbb-0000-4000-8000-00000000000b',
  objectId: 'bbbbbbbb-0000-4000-8000-0000000000b0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b',
}

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI_A, UAMI_B] })
})
afterAll(() => emulator.close())

describe('IMDS token endpoint: path matching', () => {
  it.each([
    ['the plain path', TOKEN_PATH],
    ['a trailing slash', `${TOKEN_PATH}/`],
    ['a leading double slash', `/${TOKEN_PATH}`],
    ['a leading double slash and a trailing slash', `/${TOKEN_PATH}/`],
    ['an upper-case path', TOKEN_PATH.toUpperCase()],
  ])('answers 200 for %s', async (_label, path) => {
    const res = await imdsRequest(emulator.port, { path })
    expect(res.status).toBe(200)
  })

  it('answers 404 for another path', async () => {
    const res = await imdsRequest(emulator.port, { path: '/metadata/identity/oauth2/tokens' })
    expect(res.status).toBe(404)
  })
})

describe('IMDS token endpoint: request rules', () => {
  it('answers bad_request_102 without the Metadata header', async () => {
    const res = await imdsRequest(emulator.port, { headers: {} })
    expect(res.status).toBe(400)
    expect(res.json()).toEqual({ error: 'bad_request_102', error_description: 'Required metadata header not specified' })
  })

  it.each([['True'], ['TRUE'], ['1'], ['yes'], ['']])('answers bad_request_102 for Metadata: %j', async (value) => {
    const res = await imdsRequest(emulator.port, { headers: { Metadata: value } })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'bad_request_102' })
  })

  it('answers bad_request_102 for a repeated Metadata header', async () => {
    const res = await imdsRequest(emulator.port, { headers: { Metadata: ['true', 'true'] } })
    expect(res.json()).toMatchObject({ error: 'bad_request_102' })
  })

  it('rejects a request with X-Forwarded-For with 400', async () => {
    const res = await imdsRequest(emulator.port, { headers: { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' } })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'bad_request' })
  })

  it.each([['POST'], ['PUT'], ['DELETE'], ['HEAD'], ['OPTIONS']])('answers 405 to %s', async (method) => {
    const res = await imdsRequest(emulator.port, { method })
    expect(res.status).toBe(405)
    expect(res.headers['allow']).toBe('GET')
  })

  it('ignores Content-Type on a GET (MSAL sends a form content type)', async () => {
    const res = await imdsRequest(emulator.port, {
      headers: { Metadata: 'true', 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
    })
    expect(res.status).toBe(200)
  })

  it.each([
    ['resource', `${VALID_QUERY}&resource=x`],
    ['api-version', `${VALID_QUERY}&api-version=2018-02-01`],
    ['client_id', `${VALID_QUERY}&client_id=${UAMI_A.clientId}&client_id=${UAMI_A.clientId}`],
  ])('rejects a duplicate %s key with 400', async (_key, query) => {
    const res = await imdsRequest(emulator.port, { query })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'bad_request' })
  })

  it('matches query keys case-sensitively', async () => {
    const res = await imdsRequest(emulator.port, { query: `API-VERSION=2018-02-01&resource=${VAULT}` })
    expect(res.status).toBe(400)
    expect(res.json()).toHaveProperty('newest-versions')
  })

  it('answers the generic IMDS body when api-version is missing', async () => {
    const res = await imdsRequest(emulator.port, { query: `resource=${VAULT}` })
    expect(res.status).toBe(400)
    const body = res.json<{ error: string; 'newest-versions': string[] }>()
    expect(body.error).toBe(
      'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds',
    )
    expect(body['newest-versions'].length).toBeGreaterThan(0)
    expect(Object.keys(body).sort()).toEqual(['error', 'newest-versions'])
  })

  it.each([['2017-12-01'], ['2018-01-31'], ['latest'], ['2018-2-1'], ['2019-02-31']])(
    'rejects api-version %s with the generic IMDS body',
    async (version) => {
      const res = await imdsRequest(emulator.port, { query: `api-version=${version}&resource=${VAULT}` })
      expect(res.status).toBe(400)
      expect(res.json()).toHaveProperty('newest-versions')
    },
  )

  it.each([['2018-02-01'], ['2019-08-01'], ['2025-04-07']])('accepts api-version %s', async (version) => {
    const res = await imdsRequest(emulator.port, { query: `api-version=${version}&resource=${VAULT}` })
    expect(res.status).toBe(200)
  })

  it.each([['missing', 'api-version=2018-02-01'], ['empty', 'api-version=2018-02-01&resource=']])(
    'answers invalid_request when resource is %s',
    async (_label, query) => {
      const res = await imdsRequest(emulator.port, { query })
      expect(res.status).toBe(400)
      expect(res.json()).toMatchObject({ error: 'invalid_request' })
    },
  )
})

describe('IMDS token endpoint: identity selection', () => {
  const selected = async (selector: string): Promise<ImdsTokenBody> => {
    const res = await imdsRequest(emulator.port, { query: `${VALID_QUERY}&${selector}` })
    expect(res.status).toBe(200)
    return res.json<ImdsTokenBody>()
  }

  it('uses the system-assigned identity without a selector', async () => {
    const res = await imdsRequest(emulator.port)
    expect(res.json<ImdsTokenBody>().client_id).toBe(DEFAULT_SYSTEM_ASSIGNED.clientId)
  })

  it('selects a user-assigned identity by client_id', async () => {
    expect((await selected(`client_id=${UAMI_B.clientId}`)).client_id).toBe(UAMI_B.clientId)
  })

  it('selects a user-assigned identity by object_id', async () => {
    expect((await selected(`object_id=${UAMI_A.objectId}`)).client_id).toBe(UAMI_A.clientId)
  })

  it('selects a user-assigned identity by msi_res_id, case-insensitively', async () => {
    const body = await selected(`msi_res_id=${encodeURIComponent(UAMI_B.resourceId.toLowerCase())}`)
    expect(body.client_id).toBe(UAMI_B.clientId)
  })

  it('matches a client_id case-insensitively', async () => {
    expect((await selected(`client_id=${UAMI_A.clientId.toUpperCase()}`)).client_id).toBe(UAMI_A.clientId)
  })

  it('rejects two selectors with 400', async () => {
    const res = await imdsRequest(emulator.port, {
      query: `${VALID_QUERY}&client_id=${UAMI_A.clientId}&object_id=${UAMI_A.objectId}`,
    })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_request' })
  })

  it.each([['client_id'], ['object_id'], ['msi_res_id']])('answers Identity not found for an unknown %s', async (key) => {
    const res = await imdsRequest(emulator.port, { query: `${VALID_QUERY}&${key}=00000000-dead-4000-8000-000000000000` })
    expect(res.status).toBe(400)
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'Identity not found' })
  })
})

describe('IMDS token endpoint: response', () => {
  it('answers JSON with every value a string', async () => {
    const res = await imdsRequest(emulator.port)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'client_id', 'expires_in', 'expires_on', 'not_before', 'refresh_token', 'resource', 'token_type'].sort(),
    )
    for (const value of Object.values(body)) expect(typeof value).toBe('string')
    expect(body).toMatchObject({ refresh_token: '', token_type: 'Bearer', resource: VAULT, expires_in: '86400' })
  })

  it('gives expires_on and not_before as epoch seconds around the lifetime', async () => {
    const body = (await imdsRequest(emulator.port)).json<ImdsTokenBody>()
    expect(body.expires_on).toMatch(/^\d+$/)
    expect(Number(body.expires_on) - Number(body.not_before)).toBe(86_400 + 300)
  })

  it.each([
    ['a trailing slash', 'https://management.azure.com/'],
    ['an App ID URI with a path', 'api://my-app/with/path'],
    ['mixed case', 'https://Vault.Azure.NET'],
    ['encoded characters', 'https://example.com/a b?c=d&e'],
  ])('echoes a resource with %s verbatim', async (_label, resource) => {
    const res = await imdsRequest(emulator.port, {
      query: `api-version=2018-02-01&resource=${encodeURIComponent(resource)}`,
    })
    expect(res.json<ImdsTokenBody>().resource).toBe(resource)
  })
})
