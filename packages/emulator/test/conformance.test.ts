/**
 * Conformance: the reference client, `@azure/identity`'s `ManagedIdentityCredential` (MSAL
 * inside), gets tokens from the emulator through the IMDS override protocols.md §9.2 describes.
 * MSAL keeps its token source in a process-wide static, so this file uses one emulator throughout.
 */
import { ManagedIdentityCredential } from '@azure/identity'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_SYSTEM_ASSIGNED, ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity, RequestLogEntry } from '../src/index.js'

const UAMI: ManagedIdentity = {
  clientId: 'eeeeeeee-0000-4000-8000-00000000000e',
  objectId: 'eeeeeeee-0000-4000-8000-0000000000e0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/e',
}

// Env that would send the credential down another path (protocols.md §1.1) or break it (§9.2).
const OTHER_SOURCES = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
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
  vi.stubEnv(ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST, emulator.url)
  emulator.reset()
})

const tokenRequests = (): readonly RequestLogEntry[] => emulator.requests.filter((entry) => entry.token)

async function verifiedAgainstJwks(token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(emulator.jwksUri)), { issuer: emulator.issuer })
  return payload
}

describe('ManagedIdentityCredential (@azure/identity 4.13.1) against the emulator', () => {
  it('gets a system-assigned token whose aud is the requested resource', async () => {
    const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')
    const claims = await verifiedAgainstJwks(token.token)
    expect(claims).toMatchObject({ aud: 'https://vault.azure.net', appid: DEFAULT_SYSTEM_ASSIGNED.clientId })
    expect(token.expiresOnTimestamp).toBe((claims['exp'] as number) * 1000)
    // MSAL lower-cases the override URL and appends a trailing slash (protocols.md §2).
    expect(tokenRequests()).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/metadata/identity/oauth2/token/',
        query: { 'api-version': '2018-02-01', resource: 'https://vault.azure.net' },
        status: 200,
      }),
    ])
  })

  it('gets a user-assigned token selected by clientId', async () => {
    const credential = new ManagedIdentityCredential({ clientId: UAMI.clientId })
    const token = await credential.getToken('https://storage.azure.com/.default')
    const claims = await verifiedAgainstJwks(token.token)
    expect(claims).toMatchObject({ aud: 'https://storage.azure.com', appid: UAMI.clientId, oid: UAMI.objectId })
    expect(tokenRequests()[0]?.query).toMatchObject({ client_id: UAMI.clientId })
  })

  it('gets a user-assigned token selected by resourceId', async () => {
    const credential = new ManagedIdentityCredential({ resourceId: UAMI.resourceId })
    const token = await credential.getToken('https://management.azure.com/.default')
    const claims = await emulator.verify(token.token, { audience: 'https://management.azure.com' })
    expect(claims.xms_mirid).toBe(UAMI.resourceId)
    expect(tokenRequests()[0]?.query).toMatchObject({ msi_res_id: UAMI.resourceId })
  })

  it('serves a repeated request from the cache because the resource is echoed verbatim', async () => {
    const credential = new ManagedIdentityCredential()
    await credential.getToken('https://graph.microsoft.com/.default')
    await credential.getToken('https://graph.microsoft.com/.default')
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('retries a 503 through its pipeline and then gets a token', async () => {
    emulator.faults.enqueue({ status: 503, retryAfter: '0' })
    const token = await new ManagedIdentityCredential().getToken('https://database.windows.net/.default')
    expect((await emulator.verify(token.token)).aud).toBe('https://database.windows.net')
    expect(tokenRequests().map((entry) => entry.status)).toEqual([503, 200])
  })
})
