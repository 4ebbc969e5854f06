import { startEmulator, type Emulator } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AZURE_POD_IDENTITY_AUTHORITY_HOST, imds, type ImdsOptions } from '../src/index.js'

const VAULT = 'https://vault.azure.net/.default'
const UAMI = {
  clientId: '11111111-1111-4111-8111-111111111111',
  objectId: '22222222-2222-4222-8222-222222222222',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app',
}

let emulator: Emulator
const providers: { close(): Promise<void> }[] = []

beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI] })
})
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()))
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

function provider(options: ImdsOptions = {}) {
  const p = imds({ endpoint: emulator.url, ...options })
  providers.push(p)
  return p
}

describe('imds(): protocol', () => {
  it('gets a token for the resource of a v2 scope, with api-version 2018-02-01 and Metadata: true', async () => {
    const token = await provider().getToken(VAULT)
    const claims = await emulator.verify(token.token, { audience: 'https://vault.azure.net' })
    expect(claims.aud).toBe('https://vault.azure.net')
    const [request] = emulator.requests
    expect(request).toMatchObject({ method: 'GET', status: 200 })
    expect(request?.query).toMatchObject({ 'api-version': '2018-02-01', resource: 'https://vault.azure.net' })
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
  })

  it('passes a v1 resource through unchanged, trailing slash included', async () => {
    const token = await provider().getToken('https://management.azure.com/')
    expect((await emulator.verify(token.token)).aud).toBe('https://management.azure.com/')
  })

  it.each([
    ['clientId', 'client_id', UAMI.clientId],
    ['objectId', 'object_id', UAMI.objectId],
    ['resourceId', 'msi_res_id', UAMI.resourceId],
  ] as const)('selects a user-assigned identity by %s (%s)', async (option, param, value) => {
    const token = await provider({ [option]: value }).getToken(VAULT)
    const claims = await emulator.verify(token.token)
    expect(claims.appid).toBe(UAMI.clientId)
    expect(claims.oid).toBe(UAMI.objectId)
    expect(emulator.requests[0]?.query[param]).toBe(value)
  })

  it('uses the system-assigned identity when no selector is given', async () => {
    const token = await provider().getToken(VAULT)
    expect((await emulator.verify(token.token)).appid).toBe(emulator.identities.systemAssigned?.clientId)
    expect(Object.keys(emulator.requests[0]?.query ?? {}).sort()).toEqual(['api-version', 'resource'])
  })

  it('fails with rejected (400, not retried) for an identity IMDS does not know', async () => {
    const p = provider({ clientId: '99999999-9999-4999-8999-999999999999' })
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', status: 400, upstreamError: 'invalid_request', source: 'imds' })
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('takes the endpoint from AZURE_POD_IDENTITY_AUTHORITY_HOST when no option is given', async () => {
    vi.stubEnv(AZURE_POD_IDENTITY_AUTHORITY_HOST, emulator.url)
    const p = imds()
    providers.push(p)
    await p.getToken(VAULT)
    expect(emulator.counters.tokenRequests).toBe(1)
    expect(p.describe()).toContain(`127.0.0.1:${emulator.port}`)
  })

  it('accepts a full token URL as the endpoint', async () => {
    await provider({ endpoint: emulator.imdsEndpoint }).getToken(VAULT)
    expect(emulator.counters.byStatus[200]).toBe(1)
  })

  it('caches a token under the scope asked for even when the response echoes another resource', async () => {
    emulator.faults.enqueue({ kind: 'resource-mismatch' })
    const p = provider()
    const first = await p.getToken(VAULT)
    const second = await p.getToken(VAULT)
    expect(second).toBe(first)
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})

describe('imds(): options', () => {
  it.each<[string, ImdsOptions]>([
    ['two selectors', { clientId: UAMI.clientId, objectId: UAMI.objectId }],
    ['three selectors', { ...UAMI }],
    ['a client id with CR/LF', { clientId: 'abc\r\nX-Injected: 1' }],
    ['an empty client id', { clientId: '' }],
    ['a resource id with a space', { resourceId: '/subscriptions/a b' }],
    ['an endpoint that is not a URL', { endpoint: 'not a url' }],
    ['an endpoint with another scheme', { endpoint: 'ftp://127.0.0.1/' }],
    ['an endpoint with credentials', { endpoint: 'http://user:pw@127.0.0.1/' }],
    ['a negative deadline', { deadlineMs: -5 }],
  ])('throws a config error at once for %s', (_, options) => {
    expect(() => imds({ endpoint: emulator.url, ...options })).toThrow(expect.objectContaining({ code: 'config', source: 'imds' }))
  })

  it('refuses a bad scope before any request', async () => {
    const p = provider()
    await expect(p.getToken('https://vault.azure.net/.default\r\nMetadata: false')).rejects.toMatchObject({ code: 'invalid-scope' })
    await expect(p.getToken('https://a/.default https://b/.default')).rejects.toMatchObject({ code: 'invalid-scope' })
    expect(emulator.counters.tokenRequests).toBe(0)
  })
})

describe('imds(): concurrency', () => {
  it('sends one request for 1000 concurrent callers of one scope', async () => {
    emulator.faults.latencyMs(30)
    const p = provider()
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => p.getToken(VAULT)))
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1)
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('never has more than 5 requests at IMDS at once, so its 5-concurrent limit is never hit', async () => {
    emulator.setLimits(true)
    emulator.faults.latencyMs(30)
    try {
      const p = provider()
      const scopes = Array.from({ length: 15 }, (_, i) => `https://app${i}.example/.default`)
      await Promise.all(scopes.map((s) => p.getToken(s)))
      expect(emulator.counters.maxConcurrent).toBeLessThanOrEqual(5)
      expect(emulator.counters.byStatus[429] ?? 0).toBe(0)
      expect(emulator.counters.tokenRequests).toBe(15)
    } finally {
      emulator.setLimits(false)
    }
  })
})

describe('imds(): dispatcher option', () => {
  it('sends its one request through an injected undici dispatcher', async () => {
    const { MockAgent } = await import('undici')
    const agent = new MockAgent()
    agent.disableNetConnect()
    const expiresOn = String(Math.floor(Date.now() / 1000) + 3600)
    agent
      .get('http://127.0.0.1:9')
      .intercept({
        path: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=abc',
        method: 'GET',
        headers: { Metadata: 'true' },
      })
      .reply(200, { access_token: 'mock-token', expires_on: expiresOn, resource: 'https://vault.azure.net', token_type: 'Bearer' })
    const p = imds({ endpoint: 'http://127.0.0.1:9', clientId: 'abc', dispatcher: agent })
    providers.push(p)
    const token = await p.getToken(VAULT)
    expect(token.token).toBe('mock-token')
    expect(token.expiresAt).toBe(Number(expiresOn) * 1000)
    agent.assertNoPendingInterceptors()
    await agent.close()
  })
})
