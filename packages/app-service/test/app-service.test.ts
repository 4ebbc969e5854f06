import { startEmulator, type Emulator } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { appService, IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET, type AppServiceOptions } from '../src/index.js'
import { DIALECTS, providerFor, type Dialect } from './dialects.js'

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

function provider(dialect: Dialect, options: AppServiceOptions = {}) {
  const p = providerFor(emulator, dialect, options)
  providers.push(p)
  return p
}

describe('appService(): the emulator prints what appService() reads', () => {
  it('names IDENTITY_ENDPOINT + IDENTITY_HEADER for 2019-08-01 and MSI_ENDPOINT + MSI_SECRET for 2017-09-01', () => {
    expect(Object.keys(emulator.envFor('app-service')).sort()).toEqual([IDENTITY_ENDPOINT, IDENTITY_HEADER])
    expect(Object.keys(emulator.envFor('app-service-2017')).sort()).toEqual([MSI_ENDPOINT, MSI_SECRET])
  })
})

describe.each(DIALECTS)('appService(): the $apiVersion protocol', (dialect) => {
  it('gets a verifiable token for the resource of a v2 scope, with resource and api-version only', async () => {
    const p = provider(dialect)
    expect(p.describe()).toContain(dialect.apiVersion)
    const token = await p.getToken(VAULT)
    const claims = await emulator.verify(token.token, { audience: 'https://vault.azure.net' })
    expect(claims.appid).toBe(emulator.identities.systemAssigned?.clientId)
    const [request] = emulator.requests
    expect(request).toMatchObject({ method: 'GET', status: 200, endpoint: dialect.endpoint })
    expect(request?.query).toEqual({ resource: 'https://vault.azure.net', 'api-version': dialect.apiVersion })
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBe(1)
  })

  it('passes a v1 resource through unchanged, trailing slash included', async () => {
    const token = await provider(dialect).getToken('https://management.azure.com/')
    expect((await emulator.verify(token.token)).aud).toBe('https://management.azure.com/')
  })

  it(`selects a user-assigned identity by clientId (${dialect.clientParam})`, async () => {
    const token = await provider(dialect, { clientId: UAMI.clientId }).getToken(VAULT)
    const claims = await emulator.verify(token.token)
    expect(claims.appid).toBe(UAMI.clientId)
    expect(claims.oid).toBe(UAMI.objectId)
    expect(emulator.requests[0]?.query[dialect.clientParam]).toBe(UAMI.clientId)
  })

  it('fails with rejected, not retried, for an identity the endpoint does not know', async () => {
    const p = provider(dialect, { clientId: '99999999-9999-4999-8999-999999999999' })
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', source: 'app-service', retryable: false })
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('caches the token: a second getToken sends nothing', async () => {
    const p = provider(dialect)
    const first = await p.getToken(VAULT)
    expect(await p.getToken(VAULT)).toBe(first)
    expect(await p.getToken('https://vault.azure.net')).toBe(first)
    expect(p.peekToken(VAULT)).toBe(first)
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBe(1)
  })

  it('caches a token under the scope asked for even when the response echoes another resource', async () => {
    emulator.faultsFor(dialect.endpoint).enqueue({ kind: 'resource-mismatch' })
    const p = provider(dialect)
    const first = await p.getToken(VAULT)
    expect(await p.getToken(VAULT)).toBe(first)
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('sends one request for 1000 concurrent callers of one scope', async () => {
    emulator.faultsFor(dialect.endpoint).latencyMs(30)
    const p = provider(dialect)
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => p.getToken(VAULT)))
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1)
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})

describe('appService(): the 2019-08-01 selectors', () => {
  it.each([
    ['objectId', 'principal_id', UAMI.objectId],
    ['resourceId', 'mi_res_id', UAMI.resourceId],
  ] as const)('selects a user-assigned identity by %s (%s)', async (option, param, value) => {
    const token = await provider(DIALECTS[0], { [option]: value }).getToken(VAULT)
    const claims = await emulator.verify(token.token)
    expect(claims.appid).toBe(UAMI.clientId)
    expect(emulator.requests[0]?.query[param]).toBe(value)
    expect(Object.keys(emulator.requests[0]?.query ?? {})).toEqual(['resource', 'api-version', param])
  })
})

describe('appService(): the legacy 2017-09-01 expiry', () => {
  it('reads the date-form expires_on the legacy endpoint sends, to the second', async () => {
    const before = Date.now()
    const token = await provider(DIALECTS[1]).getToken(VAULT)
    const claims = await emulator.verify(token.token)
    expect(token.expiresAt).toBe(claims.exp * 1000)
    expect(token.expiresAt).toBeGreaterThan(before + 23 * 3_600_000)
  })
})

describe('appService(): the header', () => {
  it('is refused by the endpoint when wrong: rejected, not retried', async () => {
    const p = appService({ endpoint: emulator.appService.endpoint, header: 'not-the-header' })
    providers.push(p)
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', source: 'app-service', retryable: false })
    expect(emulator.counters.tokenRequests).toBe(1)
  })

  it('can be given with the endpoint as options, with no environment at all', async () => {
    const p = appService({ endpoint: emulator.appService.endpoint, header: emulator.appService.header })
    providers.push(p)
    await expect(p.getToken(VAULT)).resolves.toMatchObject({ tokenType: 'Bearer' })
  })
})
