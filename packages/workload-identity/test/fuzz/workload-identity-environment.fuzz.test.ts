import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { envValue, fuzzParameters, fuzzTimeoutMs, stubEnv } from '@keyless/test-support'
import { isKeylessError, type KeylessTokenProvider } from '@keyless/core'
import { workloadIdentity } from '../../src/workload-identity.js'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const CLIENT = '00000000-0000-0000-0000-000000000001'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const variables = fc.record({
  AZURE_CLIENT_ID: envValue(CLIENT, 'c', 'a b'),
  AZURE_TENANT_ID: envValue(TENANT, 'contoso.onmicrosoft.com', '-bad-', 'a..b', '../x', 'organizations'),
  AZURE_FEDERATED_TOKEN_FILE: envValue('/var/run/secrets/azure/tokens/azure-identity-token', 'relative/token', '/'),
  AZURE_AUTHORITY_HOST: envValue('https://login.microsoftonline.com/', 'https://login.microsoftonline.us', 'https://127.0.0.1:8443//', 'http://login.microsoftonline.com/', 'https://u:p@x/', 'https://x/?q=1', 'https://x/#f', 'javascript:alert(1)'),
})
const CONTROL = /[\u0000-\u001f\u007f]/

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('fuzz: the Workload Identity environment', () => {
  it('workloadIdentity() returns a provider (unavailable when a variable is missing) or throws config; the identity it keys on is clean', async () => {
    const seen = { configured: 0, unavailable: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(variables, fc.boolean(), async (generated, asOptions) => {
        stubEnv(vi, asOptions ? {} : generated)
        // What the process environment really holds (it cuts a value at NUL).
        const env = asOptions ? generated : (Object.fromEntries(Object.keys(generated).map((name) => [name, process.env[name]])) as typeof generated)
        let provider: KeylessTokenProvider
        try {
          provider = asOptions
            ? workloadIdentity({ clientId: env.AZURE_CLIENT_ID, tenantId: env.AZURE_TENANT_ID, tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE, authorityHost: env.AZURE_AUTHORITY_HOST })
            : workloadIdentity()
        } catch (error: unknown) {
          if (!isKeylessError(error) || error.code !== 'config') throw error
          seen.refused++
          return
        } finally {
          vi.unstubAllEnvs()
        }
        try {
          const { identity } = provider.stats()
          const given = (value: string | undefined) => value !== undefined && (asOptions || value !== '')
          if (!given(env.AZURE_CLIENT_ID) || !given(env.AZURE_TENANT_ID) || !given(env.AZURE_FEDERATED_TOKEN_FILE)) {
            seen.unavailable++
            expect(identity).toBe('workload-identity|unavailable')
            return
          }
          seen.configured++
          // The cache key holds the tenant and the client id as given, and nothing that could split a URL or a header.
          expect(identity).not.toMatch(CONTROL)
          expect(identity.endsWith(`|${env.AZURE_TENANT_ID}|${env.AZURE_CLIENT_ID}`)).toBe(true)
          expect(identity.startsWith('workload-identity|https://')).toBe(true)
        } finally {
          await provider.close()
        }
      }),
      fuzzParameters(2500),
    )
    expect(Math.min(seen.configured, seen.unavailable, seen.refused)).toBeGreaterThan(0)
  })
})
