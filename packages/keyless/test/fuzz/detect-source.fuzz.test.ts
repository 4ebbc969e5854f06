import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { envValue, fuzzParameters, fuzzTimeoutMs, stubEnv } from '@keyless/test-support'
import type { KeylessTokenProvider } from '@keyless/core'
import { isKeylessError } from '@keyless/core'
import { auto } from '../../src/auto.js'
import { detectSource, SOURCE_VARIABLES, type DetectedSource } from '../../src/detect-source.js'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const ENDPOINTS = ['http://127.0.0.1:41741/msi/token', 'http://localhost:8081/msi/token', 'http://[::1]:80/x', 'https://app.azurewebsites.net/msi/token', 'http://10.0.0.4/msi/token', 'http://u:p@127.0.0.1/', 'ftp://127.0.0.1/', 'not a url']
/** Every variable auto() and the factories it picks read. */
const variables = fc.record({
  AZURE_FEDERATED_TOKEN_FILE: envValue('/var/run/secrets/azure/tokens/azure-identity-token', 'relative/token', '/'),
  AZURE_CLIENT_ID: envValue('00000000-0000-0000-0000-000000000001', 'c'),
  AZURE_TENANT_ID: envValue('72f988bf-86f1-41af-91ab-2d7cd011db47', 'contoso.onmicrosoft.com', '-bad-', 'a..b'),
  AZURE_AUTHORITY_HOST: envValue('https://login.microsoftonline.com/', 'https://127.0.0.1:8443', 'http://login.microsoftonline.com/', 'https://u:p@x/', 'https://x/?q=1'),
  IDENTITY_ENDPOINT: envValue(...ENDPOINTS),
  IDENTITY_HEADER: envValue('HEADER-SECRET-3f1a9c', '00000000-0000-0000-0000-000000000000'),
  IDENTITY_SERVER_THUMBPRINT: envValue('AB12CD'),
  MSI_ENDPOINT: envValue(...ENDPOINTS),
  MSI_SECRET: envValue('LEGACY-SECRET-88e1d2'),
  AZURE_POD_IDENTITY_AUTHORITY_HOST: envValue('http://127.0.0.1:2377', 'http://169.254.169.254', 'https://x', 'x'),
})
/** The same plus noise: unrelated and prototype-polluting names. */
const env = fc
  .tuple(variables, fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'PATH', 'MSI_ENDPOINTS', 'identity_endpoint'), envValue('x')), { maxLength: 3 }))
  .map(([known, noise]) => {
    const all: Record<string, string | undefined> = {}
    for (const [name, value] of [...noise, ...Object.entries(known)]) Object.defineProperty(all, name, { value, enumerable: true, writable: true, configurable: true })
    return all
  })

/** The documented rule (detect-source.ts): the first source whose variables are all set, empty counting as set. */
function expected(vars: Readonly<Record<string, string | undefined>>, clientId: string | undefined): DetectedSource {
  const has = (name: string) => Object.hasOwn(vars, name) && vars[name] !== undefined
  if (has('AZURE_FEDERATED_TOKEN_FILE') && (has('AZURE_CLIENT_ID') || clientId !== undefined) && has('AZURE_TENANT_ID')) return 'workload-identity'
  if (has('IDENTITY_ENDPOINT') && has('IDENTITY_HEADER')) return 'app-service'
  if (has('MSI_ENDPOINT') && has('MSI_SECRET')) return 'app-service-2017'
  return 'imds'
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('fuzz: detectSource() and auto() over hostile environments', () => {
  it('detection is a pure function of the variables given: documented order, no process.env, no mutation', () => {
    fc.assert(
      fc.property(env, fc.option(fc.constantFrom('explicit-client', ''), { nil: undefined }), (vars, clientId) => {
        const frozen = Object.freeze({ ...vars })
        const first = detectSource(frozen, clientId)
        expect(first.source).toBe(expected(frozen, clientId))
        expect(first.because).toEqual(SOURCE_VARIABLES[first.source])
        // Another process environment and another copy of the same variables change nothing.
        vi.stubEnv('IDENTITY_ENDPOINT', 'http://127.0.0.1:1/other')
        vi.stubEnv('IDENTITY_HEADER', 'other')
        expect(detectSource(Object.fromEntries(Object.entries(frozen).reverse()), clientId)).toEqual(first)
        vi.unstubAllEnvs()
      }),
      fuzzParameters(10_000),
    )
  })

  it('auto() returns the detected source\'s provider or throws config; it never crashes or leaks a secret', async () => {
    let made = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(variables, async (vars) => {
        stubEnv(vi, vars)
        let provider: KeylessTokenProvider & { source?: DetectedSource }
        try {
          provider = auto()
        } catch (error: unknown) {
          if (!isKeylessError(error) || error.code !== 'config') throw error
          refused++
          for (const secret of secretsOf(vars)) expect(JSON.stringify(error).includes(secret)).toBe(false)
          return
        } finally {
          vi.unstubAllEnvs()
        }
        made++
        try {
          const clientId = vars.AZURE_CLIENT_ID === '' ? undefined : vars.AZURE_CLIENT_ID
          expect(provider.source).toBe(expected(vars, clientId))
          const text = `${provider.describe()} ${JSON.stringify(provider.stats())}`
          for (const secret of secretsOf(vars)) expect(text.includes(secret)).toBe(false)
        } finally {
          await provider.close()
        }
      }),
      fuzzParameters(1500),
    )
    expect(made).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })
})

/**
 * The secret values worth searching output for: at least 8 characters, and not also inside a value
 * that may be shown (a tenant id of `constructor` and an MSI_SECRET of `constructor` are one string).
 */
function secretsOf(vars: Readonly<Record<string, string | undefined>>): string[] {
  const secretNames = new Set(['IDENTITY_HEADER', 'MSI_SECRET'])
  const shown = Object.entries(vars)
    .filter(([name]) => !secretNames.has(name))
    .map(([, value]) => value ?? '')
    .join('\n')
  return [vars['IDENTITY_HEADER'], vars['MSI_SECRET']].filter((secret): secret is string => secret !== undefined && secret.length >= 8 && !shown.includes(secret))
}
