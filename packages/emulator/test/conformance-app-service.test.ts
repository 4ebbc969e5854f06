/**
 * Conformance, App Service 2019-08-01: `@azure/identity`'s `ManagedIdentityCredential` (MSAL
 * inside) gets tokens from the emulator with `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` set.
 * A file of its own: MSAL fixes its managed-identity source in a process-wide static at the
 * first acquisition (protocols.md §1.1), so it cannot share a file with the IMDS conformance
 * tests; vitest runs each file in a fresh worker.
 */
import { ManagedIdentityCredential } from '@azure/identity'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_SYSTEM_ASSIGNED, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity, RequestLogEntry } from '../src/index.js'

const UAMI: ManagedIdentity = {
  clientId: 'c4c40000-0000-4000-8000-00000000000c',
  objectId: 'c4c40000-0000-4000-8000-0000000000c0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/c4',
}

// Env that would send the credential down another path (protocols.md §1.1) or break it (§9.2).
const OTHER_SOURCES = [
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'IDENTITY_SERVER_THUMBPRINT',
  'IMDS_ENDPOINT',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_AUTHORITY_HOST',
]

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI] })
})
afterAll(() => emulator.close())
beforeEach(() => {
  for (const name of OTHER_SOURCES) vi.stubEnv(name, undefined)
  for (const [name, value] of Object.entries(emulator.envFor('app-service'))) vi.stubEnv(name, value)
  emulator.reset()
})

const tokenRequests = (): readonly RequestLogEntry[] => emulator.requests.filter((entry) => entry.token)

// MSAL's token cache is process-wide too, so each test asks for its own resource.
describe('ManagedIdentityCredential (@azure/identity 4.13.1) against App Service 2019-08-01', () => {
  it('gets a system-assigned token whose aud is the requested resource', async () => {
    const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')
    const claims = await emulator.verify(token.token, { audience: 'https://vault.azure.net' })
    expect(claims.appid).toBe(DEFAULT_SYSTEM_ASSIGNED.clientId)
    // MSAL turns expires_on into seconds-from-now and back on its own clock, in whole seconds, so the
    // result can be a second off (seen once in CI).
    expect(Math.abs(token.expiresOnTimestamp - claims.exp * 1000)).toBeLessThanOrEqual(1000)
    // MSAL uses IDENTITY_ENDPOINT verbatim (protocols.md §3).
    expect(tokenRequests()).toEqual([
      expect.objectContaining({
        endpoint: 'app-service',
        method: 'GET',
        path: '/msi/token',
        query: { 'api-version': '2019-08-01', resource: 'https://vault.azure.net' },
        status: 200,
      }),
    ])
  })

  it.each<[string, () => ManagedIdentityCredential, string, string]>([
    ['clientId', () => new ManagedIdentityCredential({ clientId: UAMI.clientId }), 'client_id', UAMI.clientId],
    ['objectId', () => new ManagedIdentityCredential({ objectId: UAMI.objectId }), 'object_id', UAMI.objectId],
    ['resourceId', () => new ManagedIdentityCredential({ resourceId: UAMI.resourceId }), 'mi_res_id', UAMI.resourceId],
  ])('gets a user-assigned token selected by %s', async (_label, credential, param, value) => {
    const resource = `https://${param.replace('_', '')}.example.com`
    const token = await credential().getToken(`${resource}/.default`)
    expect(await emulator.verify(token.token, { audience: resource })).toMatchObject({ appid: UAMI.clientId, oid: UAMI.objectId })
    expect(tokenRequests()[0]?.query).toMatchObject({ [param]: value })
  })

  it('serves a repeated request from the cache because the resource is echoed verbatim', async () => {
    const credential = new ManagedIdentityCredential()
    await credential.getToken('https://graph.microsoft.com/.default')
    await credential.getToken('https://graph.microsoft.com/.default')
    expect(emulator.counters.byEndpoint['app-service']).toBe(1)
  })

  it('retries a 503 scripted for App Service and then gets a token', async () => {
    emulator.faultsFor('app-service').enqueue({ status: 503, retryAfter: '0' })
    const token = await new ManagedIdentityCredential().getToken('https://database.windows.net/.default')
    expect((await emulator.verify(token.token)).aud).toBe('https://database.windows.net')
    expect(tokenRequests().map((entry) => entry.status)).toEqual([503, 200])
  })

})
