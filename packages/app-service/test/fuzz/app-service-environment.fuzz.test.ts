import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { envValue, fuzzParameters, fuzzTimeoutMs, stubEnv } from '@keyless/test-support'
import { IMDS_HOST, isKeylessError, isLinkLocalIPv4, isLoopbackHost, type KeylessTokenProvider } from '@keyless/core'
import { appService } from '../../src/app-service.js'
import { APP_SERVICE_API_VERSION, LEGACY_APP_SERVICE_API_VERSION } from '../../src/app-service-source.js'
import { appServiceEnvironment, MAX_APP_SERVICE_HEADER_LENGTH } from '../../src/app-service-environment.js'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const ENDPOINTS = [
  'http://127.0.0.1:41741/msi/token',
  'http://localhost:8081/msi/token',
  'http://[::1]:80/x',
  'http://127.1/x',
  'http://[::ffff:127.0.0.1]/x',
  'https://app.azurewebsites.net/msi/token',
  'http://169.254.169.254/metadata/identity/oauth2/token',
  'http://169.254.129.2:8081/msi/token',
  'http://localhost.evil.com/x',
  'http://localhost./x',
  'http://u:p@127.0.0.1/',
  'ftp://127.0.0.1/',
  'file:///etc/passwd',
  'not a url',
]
const HEADERS = ['HEADER-SECRET-3f1a9c', '00000000-0000-0000-0000-000000000000', 'a', ' lead', 'trail ']
const variables = fc.record({
  IDENTITY_ENDPOINT: envValue(...ENDPOINTS),
  IDENTITY_HEADER: envValue(...HEADERS),
  IDENTITY_SERVER_THUMBPRINT: envValue('AB12CD'),
  MSI_ENDPOINT: envValue(...ENDPOINTS),
  MSI_SECRET: envValue(...HEADERS),
})
const options = fc.record({ endpoint: envValue(...ENDPOINTS), header: envValue(...HEADERS) })
const PRINTABLE_TRIMMED = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/

/** Secrets among the inputs, long enough that finding one in a message is no accident. */
const secretsOf = (...values: (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined && v.length >= 8)

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('fuzz: the App Service environment', () => {
  it('appServiceEnvironment() finds a safe endpoint and header, finds nothing, or throws config; the same input gives the same answer', () => {
    let found = 0
    let missing = 0
    let refused = 0
    fc.assert(
      fc.property(options, variables, fc.boolean(), (given, env, withOptions) => {
        const opts: { endpoint?: string | undefined; header?: string | undefined } = withOptions ? given : {}
        const secrets = secretsOf(env.IDENTITY_HEADER, env.MSI_SECRET, opts.header)
        let where: ReturnType<typeof appServiceEnvironment>
        try {
          where = appServiceEnvironment(opts, Object.freeze({ ...env }))
        } catch (error: unknown) {
          if (!isKeylessError(error) || error.code !== 'config') throw error
          refused++
          for (const secret of secrets) expect(JSON.stringify(error).includes(secret)).toBe(false)
          expect(() => appServiceEnvironment(opts, { ...env })).toThrow(error.message)
          return
        }
        expect(appServiceEnvironment(opts, { ...env })).toEqual(where)
        if (!where.found) {
          missing++
          for (const secret of secrets) expect(where.why.includes(secret)).toBe(false)
          return
        }
        found++
        // The header goes only to https, or to plain http on this machine or its link (never to
        // IMDS); never with credentials.
        const { protocol, hostname } = where.endpoint
        const local = isLoopbackHost(hostname) || (isLinkLocalIPv4(hostname) && hostname !== IMDS_HOST)
        expect(protocol === 'https:' || (protocol === 'http:' && local)).toBe(true)
        expect(where.endpoint.username + where.endpoint.password).toBe('')
        expect(where.header).toMatch(PRINTABLE_TRIMMED)
        expect(where.header.length).toBeLessThanOrEqual(MAX_APP_SERVICE_HEADER_LENGTH)
        expect([opts.header, env.IDENTITY_HEADER, env.MSI_SECRET]).toContain(where.header)
        expect([APP_SERVICE_API_VERSION, LEGACY_APP_SERVICE_API_VERSION]).toContain(where.apiVersion)
      }),
      fuzzParameters(10_000),
    )
    expect(Math.min(found, missing, refused)).toBeGreaterThan(0)
  })

  it('appService() over a hostile process environment returns a provider or throws config, and never shows the header', async () => {
    await fc.assert(
      fc.asyncProperty(variables, async (generated) => {
        stubEnv(vi, generated)
        // What the process environment really holds (it cuts a value at NUL).
        const env = { IDENTITY_HEADER: process.env['IDENTITY_HEADER'], MSI_SECRET: process.env['MSI_SECRET'] }
        let provider: KeylessTokenProvider
        try {
          provider = appService()
        } catch (error: unknown) {
          if (!isKeylessError(error) || error.code !== 'config') throw error
          for (const secret of secretsOf(env.IDENTITY_HEADER, env.MSI_SECRET)) expect(JSON.stringify(error).includes(secret)).toBe(false)
          return
        } finally {
          vi.unstubAllEnvs()
        }
        try {
          const text = `${provider.describe()} ${JSON.stringify(provider.stats())}`
          for (const secret of secretsOf(env.IDENTITY_HEADER, env.MSI_SECRET)) expect(text.includes(secret)).toBe(false)
        } finally {
          await provider.close()
        }
      }),
      fuzzParameters(1500),
    )
  })
})
