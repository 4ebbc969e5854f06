/**
 * Conformance: the reference client, `@azure/identity` (MSAL inside), gets tokens from the
 * emulator. `ManagedIdentityCredential` through the IMDS override protocols.md §9.2 describes
 * (MSAL keeps its token source in a process-wide static, so this file uses one IMDS emulator
 * throughout; App Service has conformance-app-service.test.ts). Workload Identity runs in child
 * processes: Node reads `NODE_EXTRA_CA_CERTS` only at start-up.
 */
import { ManagedIdentityCredential } from '@azure/identity'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  DEFAULT_SYSTEM_ASSIGNED,
  DEFAULT_WORKLOAD_IDENTITY,
  ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST,
  ENV_NODE_EXTRA_CA_CERTS,
  startEmulator,
} from '../src/index.js'
import type { Emulator, ManagedIdentity, RequestLogEntry } from '../src/index.js'
import { runChildCredential } from './child-credential.js'
import type { ChildRun } from './child-credential.js'

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
    // MSAL turns expires_on into seconds-from-now and back on its own clock, in whole seconds, so the
    // result can be a second off (seen once in CI).
    expect(Math.abs(token.expiresOnTimestamp - (claims['exp'] as number) * 1000)).toBeLessThanOrEqual(1000)
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

describe('Workload Identity with @azure/identity 4.13.1 in a child process', () => {
  const CHILD_TIMEOUT_MS = 30_000
  const REFRESH_IN_S = 1800
  let wi: Emulator
  beforeAll(async () => {
    wi = await startEmulator({ workloadIdentity: { refreshInSeconds: REFRESH_IN_S } })
  })
  afterAll(() => wi.close())
  beforeEach(() => wi.reset())

  const workloadCredential = (scope: string, env: Record<string, string>): Promise<ChildRun> =>
    runChildCredential(
      {
        kind: 'workload',
        options: {
          tenantId: wi.entra.tenantId,
          clientId: wi.entra.clientId,
          tokenFilePath: wi.entra.tokenFile,
          authorityHost: wi.entra.authorityHost,
          disableInstanceDiscovery: true,
        },
        scope,
      },
      env,
    )

  it(
    'gets a WorkloadIdentityCredential token whose aud is the scope resource',
    async () => {
      const run = await workloadCredential('https://vault.azure.net/.default', { [ENV_NODE_EXTRA_CA_CERTS]: wi.entra.caFile })
      expect(run.stderr).not.toContain('loopback guard')
      expect(run.outcome).toMatchObject({ ok: true, aud: 'https://vault.azure.net' })
      if (!run.outcome.ok) return
      const claims = await wi.verify(run.outcome.token, { audience: 'https://vault.azure.net' })
      expect(claims).toMatchObject({ appid: DEFAULT_WORKLOAD_IDENTITY.clientId, oid: DEFAULT_WORKLOAD_IDENTITY.objectId })
      // refresh_in reaches the client: it refreshes (expires_in - refresh_in) seconds before expiry.
      const gapMs = run.outcome.expiresOnTimestamp - (run.outcome.refreshAfterTimestamp ?? 0)
      expect(Math.abs(gapMs - (86_400 - REFRESH_IN_S) * 1000)).toBeLessThanOrEqual(1000)
    },
    CHILD_TIMEOUT_MS,
  )

  it(
    'follows MSAL’s path: GET the openid-configuration, then POST to the token_endpoint it returned',
    async () => {
      const run = await workloadCredential('https://storage.azure.com/.default', { [ENV_NODE_EXTRA_CA_CERTS]: wi.entra.caFile })
      expect(run.outcome.ok).toBe(true)
      expect(wi.requests.map((entry) => [entry.method, entry.endpoint, entry.path, entry.status])).toEqual([
        ['GET', 'openid-configuration', `/${wi.tenantId}/v2.0/.well-known/openid-configuration`, 200],
        ['POST', 'entra', new URL(wi.entra.tokenEndpoint).pathname, 200],
      ])
      expect(wi.requests[1]?.query).toEqual({ 'client-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/) })
    },
    CHILD_TIMEOUT_MS,
  )

  it(
    'fails when the child is not started with NODE_EXTRA_CA_CERTS: TLS refuses before any request',
    async () => {
      const run = await workloadCredential('https://vault.azure.net/.default', {})
      expect(run.outcome.ok).toBe(false)
      expect(run.code).not.toBe(0)
      expect(run.stderr).not.toContain('loopback guard')
      expect(wi.requests).toEqual([])
    },
    CHILD_TIMEOUT_MS,
  )

  it(
    'gets a ManagedIdentityCredential token from exactly envFor("workload-identity") (the AKS token-exchange path)',
    async () => {
      const run = await runChildCredential({ kind: 'managed', options: {}, scope: 'https://management.azure.com/.default' }, wi.envFor('workload-identity'))
      expect(run.outcome).toMatchObject({ ok: true, aud: 'https://management.azure.com' })
      expect(wi.counters.byEndpoint['entra']).toBe(1)
    },
    CHILD_TIMEOUT_MS,
  )

  it(
    'presents the rotated service-account token from a process started after the rotation',
    async () => {
      await wi.entra.rotateServiceAccountToken()
      const run = await workloadCredential('https://vault.azure.net/.default', { [ENV_NODE_EXTRA_CA_CERTS]: wi.entra.caFile })
      expect(run.outcome.ok).toBe(true)
    },
    CHILD_TIMEOUT_MS,
  )

  it(
    'runs the child behind the loopback guard',
    async () => {
      const run = await runChildCredential({ kind: 'probe', host: '192.0.2.1' }, {})
      expect(run.outcome).toMatchObject({ ok: false, error: expect.stringContaining('ERR_TEST_NON_LOOPBACK') })
      expect(run.stderr).toContain('loopback guard: refused 192.0.2.1')
    },
    CHILD_TIMEOUT_MS,
  )
})
