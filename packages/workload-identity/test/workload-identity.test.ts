import type { KeylessTokenProvider } from '@keyless/core'
import { MockAgent } from 'undici'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  AZURE_AUTHORITY_HOST,
  AZURE_CLIENT_ID,
  AZURE_FEDERATED_TOKEN_FILE,
  AZURE_TENANT_ID,
  ENTRA_RETRY_POLICY,
  JWT_BEARER_ASSERTION_TYPE,
  workloadIdentity,
  type WorkloadIdentityOptions,
} from '../src/index.js'
import { CLIENT_ID, fakeEntra, TENANT_ID, TOKEN_PATH, tempDir, tokenAnswer, VAULT, type FakeEntra, type TempDir } from './fixtures.js'

const ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.service-account-token.signature'

let dir: TempDir
let tokenFilePath: string
let entra: FakeEntra
const providers: KeylessTokenProvider[] = []

beforeEach(async () => {
  dir = await tempDir()
  tokenFilePath = await dir.write('azure-identity-token', `${ASSERTION}\n`)
  entra = fakeEntra()
  for (const name of [AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST]) vi.stubEnv(name, undefined)
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(providers.splice(0).map((p) => p.close()))
  await entra.close()
  await dir.remove()
})

function provider(options: WorkloadIdentityOptions = {}): KeylessTokenProvider {
  const p = workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: entra.agent, ...options })
  providers.push(p)
  return p
}

function configErrorOf(options: WorkloadIdentityOptions): unknown {
  try {
    providers.push(workloadIdentity(options))
  } catch (error: unknown) {
    return error
  }
  return undefined
}

describe('workloadIdentity(): the request', () => {
  it('POSTs the client-credentials exchange with the trimmed token file as the assertion', async () => {
    const token = await provider().getToken(VAULT)
    expect(token.token).toBe('access-token-1')
    expect(entra.requests).toHaveLength(1)
    const [request] = entra.requests
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe(TOKEN_PATH)
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      client_id: CLIENT_ID,
      scope: VAULT,
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: ASSERTION,
    })
  })

  it.each([
    ['https://vault.azure.net', 'https://vault.azure.net/.default'],
    ['https://vault.azure.net/.default', 'https://vault.azure.net/.default'],
    ['https://management.azure.com/', 'https://management.azure.com//.default'],
    ['api://my-api', 'api://my-api/.default'],
  ])('asks for the v2 scope of %s: %s', async (scope, sent) => {
    await provider().getToken(scope)
    expect(entra.requests[0]?.form.get('scope')).toBe(sent)
  })

  it('sends a claims challenge as the claims form field, and no claims field otherwise', async () => {
    const p = provider()
    await p.getToken(VAULT)
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'
    await p.getToken(VAULT, { claims })
    expect(entra.requests.map((r) => r.form.get('claims'))).toEqual([null, claims])
  })

  it('reads expires_in and refresh_in relative to the time the request was sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-30T00:00:00Z'))
    entra.enqueue(tokenAnswer(1, { expires_in: 3600, refresh_in: 1800 }))
    const token = await provider({ refreshJitterRatio: 0 }).getToken(VAULT)
    expect(token.expiresAt).toBe(Date.parse('2026-11-30T01:00:00Z'))
    expect(token.refreshAt).toBe(Date.parse('2026-11-30T00:30:00Z'))
  })

  it('shares one request between concurrent callers and caches the token', async () => {
    const p = provider()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => p.getToken(VAULT)))
    await p.getToken('https://vault.azure.net')
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(['access-token-1']))
    expect(entra.requests).toHaveLength(1)
  })

  it.each([
    [400, 'invalid_scope'],
    [400, 'invalid_request'],
    [401, 'invalid_client'],
    [403, 'unauthorized_client'],
  ])('fails at once on %i %s with rejected and the upstream error', async (status, error) => {
    entra.enqueue({ status, body: { error, error_description: 'AADSTS70011: ...', error_codes: [70011] } })
    await expect(provider().getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', status, upstreamError: error, retryable: false, source: 'workload-identity' })
    expect(entra.requests).toHaveLength(1)
  })

  it('does not retry a 404 (unknown tenant), which is rejected: a 404 Entra gives is not transient', async () => {
    entra.enqueue({ status: 404, body: { error: 'invalid_tenant' } })
    await expect(provider().getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', status: 404, retryable: false })
    expect(entra.requests).toHaveLength(1)
  })

  it.each([408, 429, 500, 502, 503, 504])('retries %i', async (status) => {
    entra.enqueue({ status, body: { error: 'temporarily_unavailable' } })
    const token = await provider({ retry: { baseDelayMs: 0, minDelayMs: 0 } }).getToken(VAULT)
    expect(token.token).toBe('access-token-2')
    expect(entra.requests).toHaveLength(2)
  })

  it('retries a connection reset', async () => {
    entra.enqueue({ status: 0, error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) })
    await expect(provider({ retry: { baseDelayMs: 0, minDelayMs: 0 } }).getToken(VAULT)).resolves.toMatchObject({ token: 'access-token-2' })
  })

  it('retries exactly 408, 429, 500, 502, 503 and 504', () => {
    expect([...ENTRA_RETRY_POLICY.retryableStatuses].sort()).toEqual([408, 429, 500, 502, 503, 504])
  })

  it('fails with bad-response on a 200 without access_token, without retrying', async () => {
    entra.enqueue({ status: 200, body: { token_type: 'Bearer', expires_in: 3599 } })
    await expect(provider().getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response', retryable: false })
    expect(entra.requests).toHaveLength(1)
  })

  it('names itself, its authority and tenant, never the assertion', async () => {
    const p = provider()
    await p.getToken(VAULT)
    expect(p.name).toBe('workload-identity')
    expect(p.describe()).toBe(`workload-identity (client ${CLIENT_ID} in tenant ${TENANT_ID}) at login.microsoftonline.com`)
    expect(p.stats().identity).toBe(`workload-identity|https://login.microsoftonline.com|${TENANT_ID}|${CLIENT_ID}`)
  })
})

describe('workloadIdentity(): the authority', () => {
  it.each([
    ['https://login.microsoftonline.com/', TOKEN_PATH],
    ['https://login.microsoftonline.com', TOKEN_PATH],
    ['https://login.microsoftonline.com//', TOKEN_PATH],
  ])('normalises %s to one trailing slash', async (authorityHost, path) => {
    await provider({ authorityHost }).getToken(VAULT)
    expect(entra.requests[0]?.path).toBe(path)
  })

  it('keeps a path under the authority host', async () => {
    const other = fakeEntra('https://login.example.test')
    try {
      await provider({ authorityHost: 'https://login.example.test/adfs', dispatcher: other.agent }).getToken(VAULT)
      expect(other.requests[0]?.path).toBe(`/adfs/${TENANT_ID}/oauth2/v2.0/token`)
    } finally {
      await other.close()
    }
  })

  it('accepts a tenant domain', async () => {
    await provider({ tenantId: 'contoso.onmicrosoft.com' }).getToken(VAULT)
    expect(entra.requests[0]?.path).toBe('/contoso.onmicrosoft.com/oauth2/v2.0/token')
  })
})

describe('workloadIdentity(): environment', () => {
  it('takes every setting from the variables the AKS webhook injects', async () => {
    vi.stubEnv(AZURE_CLIENT_ID, CLIENT_ID)
    vi.stubEnv(AZURE_TENANT_ID, TENANT_ID)
    vi.stubEnv(AZURE_FEDERATED_TOKEN_FILE, tokenFilePath)
    vi.stubEnv(AZURE_AUTHORITY_HOST, 'https://login.microsoftonline.com/') // with the slash, as AKS sets it
    const p = workloadIdentity({ dispatcher: entra.agent })
    providers.push(p)
    await p.getToken(VAULT)
    expect(entra.requests[0]?.path).toBe(TOKEN_PATH)
    expect(entra.requests[0]?.form.get('client_id')).toBe(CLIENT_ID)
    expect(entra.requests[0]?.form.get('client_assertion')).toBe(ASSERTION)
  })

  it('prefers options to variables', async () => {
    vi.stubEnv(AZURE_CLIENT_ID, '99999999-9999-4999-8999-999999999999')
    vi.stubEnv(AZURE_TENANT_ID, 'other.onmicrosoft.com')
    vi.stubEnv(AZURE_FEDERATED_TOKEN_FILE, '/nonexistent/token')
    vi.stubEnv(AZURE_AUTHORITY_HOST, 'https://login.example.test/')
    await provider({ authorityHost: 'https://login.microsoftonline.com' }).getToken(VAULT)
    expect(entra.requests[0]?.path).toBe(TOKEN_PATH)
    expect(entra.requests[0]?.form.get('client_id')).toBe(CLIENT_ID)
  })

  it.each([
    [AZURE_CLIENT_ID, [AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE]],
    [AZURE_TENANT_ID, [AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE]],
    [AZURE_FEDERATED_TOKEN_FILE, [AZURE_CLIENT_ID, AZURE_TENANT_ID]],
  ])('is unavailable, without throwing, when %s is not set', async (missing, present) => {
    const values: Record<string, string> = { [AZURE_CLIENT_ID]: CLIENT_ID, [AZURE_TENANT_ID]: TENANT_ID, [AZURE_FEDERATED_TOKEN_FILE]: tokenFilePath }
    for (const name of present) vi.stubEnv(name, values[name])
    vi.stubEnv(missing, '') // empty counts as absent
    const p = workloadIdentity({ dispatcher: entra.agent })
    providers.push(p)
    const error: unknown = await p.getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unavailable', source: 'workload-identity', retryable: false })
    expect((error as Error).message).toContain(missing)
    expect(p.describe()).toContain('unavailable')
    expect(entra.requests).toHaveLength(0)
  })

  it('is unavailable with nothing set, and ignores a malformed AZURE_AUTHORITY_HOST then', async () => {
    vi.stubEnv(AZURE_AUTHORITY_HOST, 'http://not-https.example')
    const p = workloadIdentity()
    providers.push(p)
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'unavailable' })
  })

  it.each<[string, Record<string, string>]>([
    ['an http AZURE_AUTHORITY_HOST', { [AZURE_AUTHORITY_HOST]: 'http://login.microsoftonline.com/' }],
    ['an AZURE_AUTHORITY_HOST that is not a URL', { [AZURE_AUTHORITY_HOST]: 'login.microsoftonline.com' }],
    ['an AZURE_TENANT_ID with a slash', { [AZURE_TENANT_ID]: `${TENANT_ID}/x` }],
    ['an AZURE_CLIENT_ID with a space', { [AZURE_CLIENT_ID]: 'a b' }],
  ])('throws a config error for %s once the source is configured', (_, env) => {
    vi.stubEnv(AZURE_CLIENT_ID, CLIENT_ID)
    vi.stubEnv(AZURE_TENANT_ID, TENANT_ID)
    vi.stubEnv(AZURE_FEDERATED_TOKEN_FILE, tokenFilePath)
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
    const error = configErrorOf({})
    expect(error).toMatchObject({ code: 'config', source: 'workload-identity' })
    expect((error as Error).message).toContain(Object.keys(env)[0])
  })
})

describe('workloadIdentity(): options', () => {
  it.each<[string, WorkloadIdentityOptions]>([
    ['an authority that is not a URL', { authorityHost: 'not a url' }],
    ['an http authority', { authorityHost: 'http://login.microsoftonline.com' }],
    ['an http loopback authority', { authorityHost: 'http://127.0.0.1:8443' }],
    ['an authority with credentials', { authorityHost: 'https://user:pw@login.microsoftonline.com' }],
    ['an authority with a query', { authorityHost: 'https://login.microsoftonline.com/?x=1' }],
    ['an authority with a fragment', { authorityHost: 'https://login.microsoftonline.com/#x' }],
    ['a tenant with a slash', { tenantId: 'a/b' }],
    ['a tenant that is a dot segment', { tenantId: '..' }],
    ['a tenant with a query', { tenantId: 'a?b' }],
    ['a tenant with a percent', { tenantId: 'a%2Fb' }],
    ['a tenant with CR/LF', { tenantId: 'a\r\nb' }],
    ['an empty tenant', { tenantId: '' }],
    ['a client id with a space', { clientId: 'a b' }],
    ['a client id with a control character', { clientId: 'a\u0000b' }],
    ['an empty client id', { clientId: '' }],
    ['an empty token file path', { tokenFilePath: '' }],
    ['a token file path with NUL', { tokenFilePath: '/var/run/a\u0000b' }],
    ['a ca that is not PEM', { ca: 'not a certificate' }],
    ['a negative tokenFileCheckIntervalMs', { tokenFileCheckIntervalMs: -1 }],
    ['a NaN tokenFileCheckIntervalMs', { tokenFileCheckIntervalMs: Number.NaN }],
    ['a negative deadline', { deadlineMs: -5 }],
  ])('throws a config error at once for %s', (_, options) => {
    expect(configErrorOf({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, ...options })).toMatchObject({
      code: 'config',
      source: 'workload-identity',
    })
  })

  it('throws a config error for a ca given with a dispatcher', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
    expect(configErrorOf({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: new MockAgent(), ca: pem })).toMatchObject({ code: 'config' })
  })

  it('checks an explicit option even when the source is absent', () => {
    expect(configErrorOf({ authorityHost: 'http://login.microsoftonline.com' })).toMatchObject({ code: 'config' })
    expect(configErrorOf({ tenantId: 'a/b' })).toMatchObject({ code: 'config' })
  })

  it('never writes into the options object', async () => {
    const options = Object.freeze({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: entra.agent, authorityHost: 'https://login.microsoftonline.com' })
    const p = workloadIdentity(options)
    providers.push(p)
    await p.getToken(VAULT)
    expect(options.authorityHost).toBe('https://login.microsoftonline.com')
  })

  it('resolves a relative token file path when the provider is made', async () => {
    const cwd = process.cwd()
    process.chdir(dir.path)
    let p: KeylessTokenProvider
    try {
      p = provider({ tokenFilePath: 'azure-identity-token' })
    } finally {
      process.chdir(cwd)
    }
    await p.getToken(VAULT)
    expect(entra.requests[0]?.form.get('client_assertion')).toBe(ASSERTION)
  })
})
