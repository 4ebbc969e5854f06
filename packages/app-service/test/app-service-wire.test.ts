import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  APP_SERVICE_RETRY_POLICY,
  IDENTITY_ENDPOINT,
  IDENTITY_HEADER,
  MSI_ENDPOINT,
  MSI_SECRET,
  appService,
  type AppServiceOptions,
} from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { stubAppServiceEnv } from './env.js'
import { mockEndpoint, ORIGIN, TOKEN_PATH, TOKEN_URL, tokenBody, type MockReply } from './mock-endpoint.js'

const VAULT = 'https://vault.azure.net/.default'
const VAULT_QUERY = 'resource=https%3A%2F%2Fvault.azure.net'
const HEADER = 'header-value-0123'
const SECRET = 'legacy-secret-4567'
const UAMI = {
  clientId: '11111111-1111-4111-8111-111111111111',
  objectId: '22222222-2222-4222-8222-222222222222',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app',
}

let mock: ReturnType<typeof mockEndpoint>
const providers: { close(): Promise<void> }[] = []

beforeEach(() => {
  mock = mockEndpoint()
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(providers.splice(0).map((p) => p.close()))
  await mock.agent.close()
})

function on2019(options: AppServiceOptions = {}) {
  stubAppServiceEnv({ [IDENTITY_ENDPOINT]: TOKEN_URL, [IDENTITY_HEADER]: HEADER })
  const p = appService({ dispatcher: mock.agent, ...options })
  providers.push(p)
  return p
}

function on2017(options: AppServiceOptions = {}) {
  stubAppServiceEnv({ [MSI_ENDPOINT]: TOKEN_URL, [MSI_SECRET]: SECRET })
  const p = appService({ dispatcher: mock.agent, ...options })
  providers.push(p)
  return p
}

/** `date` as the legacy endpoint writes `expires_on`: `MM/DD/YYYY hh:mm:ss AM|PM +00:00` (protocols.md §4). */
function legacyDate(epochMs: number): string {
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  const hour = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12
  const time = `${two(hour)}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${time} +00:00`
}

describe('appService(): the 2019-08-01 request', () => {
  it('sends GET {IDENTITY_ENDPOINT}?resource=…&api-version=2019-08-01 with X-IDENTITY-HEADER and no Metadata', async () => {
    const expiresOn = Math.floor(Date.now() / 1000) + 3600
    mock.enqueue({ status: 200, body: tokenBody({ expires_on: String(expiresOn) }) })
    const token = await on2019().getToken(VAULT)
    expect(token.token).toBe('mock-token')
    expect(token.expiresAt).toBe(expiresOn * 1000)
    expect(mock.seen).toEqual([{ method: 'GET', path: `${TOKEN_PATH}?${VAULT_QUERY}&api-version=2019-08-01`, headers: { 'x-identity-header': HEADER } }])
  })

  it.each([
    ['clientId', 'client_id', UAMI.clientId, UAMI.clientId],
    ['objectId', 'principal_id', UAMI.objectId, UAMI.objectId],
    ['resourceId', 'mi_res_id', UAMI.resourceId, encodeURIComponent(UAMI.resourceId)],
  ] as const)('selects a user-assigned identity by %s as %s, after api-version', async (option, param, value, encoded) => {
    await on2019({ [option]: value }).getToken(VAULT)
    expect(mock.seen[0]?.path).toBe(`${TOKEN_PATH}?${VAULT_QUERY}&api-version=2019-08-01&${param}=${encoded}`)
  })

  it('passes a v1 resource through unchanged, trailing slash included', async () => {
    await on2019().getToken('https://management.azure.com/')
    expect(mock.seen[0]?.path).toBe(`${TOKEN_PATH}?resource=https%3A%2F%2Fmanagement.azure.com%2F&api-version=2019-08-01`)
  })

  it('uses the endpoint verbatim: path case, trailing slash and an existing query are kept', async () => {
    const p = appService({ endpoint: `${ORIGIN}/MSI/Token/?tenant=a%20b`, header: HEADER, dispatcher: mock.agent })
    providers.push(p)
    await p.getToken(VAULT)
    expect(mock.seen[0]?.path).toBe(`/MSI/Token/?tenant=a%20b&${VAULT_QUERY}&api-version=2019-08-01`)
  })

  it('caches the token: a second getToken sends nothing', async () => {
    const p = on2019()
    const first = await p.getToken(VAULT)
    expect(await p.getToken(VAULT)).toBe(first)
    expect(mock.seen).toHaveLength(1)
  })
})

describe('appService(): the legacy 2017-09-01 request', () => {
  it('sends GET {MSI_ENDPOINT}?resource=…&api-version=2017-09-01 with secret and no Metadata', async () => {
    await on2017().getToken(VAULT)
    expect(mock.seen).toEqual([{ method: 'GET', path: `${TOKEN_PATH}?${VAULT_QUERY}&api-version=2017-09-01`, headers: { secret: SECRET } }])
  })

  it('selects a user-assigned identity by clientId as clientid', async () => {
    await on2017({ clientId: UAMI.clientId }).getToken(VAULT)
    expect(mock.seen[0]?.path).toBe(`${TOKEN_PATH}?${VAULT_QUERY}&api-version=2017-09-01&clientid=${UAMI.clientId}`)
  })

  it('reads the legacy expires_on date and caches the token, which the official SDK cannot do', async () => {
    const expiresAt = Math.floor((Date.now() + 2 * 3_600_000) / 1000) * 1000
    mock.enqueue({ status: 200, body: tokenBody({ expires_on: legacyDate(expiresAt) }) })
    const p = on2017()
    const first = await p.getToken(VAULT)
    expect(first.expiresAt).toBe(expiresAt)
    expect(await p.getToken(VAULT)).toBe(first)
    expect(p.peekToken(VAULT)).toBe(first)
    expect(mock.seen).toHaveLength(1)
  })

  it("reads the documented sample '09/14/2017 00:00:00 PM +00:00' as noon UTC", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.UTC(2017, 8, 14, 6))
    mock.enqueue({ status: 200, body: tokenBody({ expires_on: '09/14/2017 00:00:00 PM +00:00' }) })
    const token = await on2017().getToken(VAULT)
    expect(token.expiresAt).toBe(Date.UTC(2017, 8, 14, 12))
  })
})

describe('appService(): retries', () => {
  beforeEach(() => {
    useEngineFakeTimers()
  })

  it('retries exactly 404, 408, 429, 500, 503 and 504', () => {
    expect([...APP_SERVICE_RETRY_POLICY.retryableStatuses].sort()).toEqual([404, 408, 429, 500, 503, 504])
  })

  it.each([404, 408, 429, 500, 503, 504])('retries a %i and then gets the token', async (status) => {
    mock.enqueue({ status, body: { error: 'x' } })
    await expect(settle(on2019().getToken(VAULT))).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(mock.seen).toHaveLength(2)
  })

  it('retries a connection reset', async () => {
    mock.enqueue({ error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) })
    await expect(settle(on2017().getToken(VAULT))).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(mock.seen).toHaveLength(2)
  })

  it.each([
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [410, 'rejected'],
    [502, 'endpoint-unavailable'],
  ] as const)('fails at once on a %i with %s, not retried', async (status, code) => {
    mock.enqueue({ status, body: { statusCode: status, message: 'no', correlationId: 'c' } })
    await expect(settle(on2019().getToken(VAULT))).rejects.toMatchObject({ code, status, retryable: false, source: 'app-service' })
    expect(mock.seen).toHaveLength(1)
  })

  it.each([
    ['the least jitter', () => 0, [1000, 1000, 1000]],
    ['the most jitter', () => 0.999_999, [1000, 2000, 4000]],
  ])('waits 1 s, then up to 2 s, then up to 4 s, then gives up (%s)', async (_, random, expected) => {
    mock.enqueue(...Array.from({ length: 4 }, (): MockReply => ({ status: 500 })))
    const p = on2019({ random })
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    await expect(settle(p.getToken(VAULT))).rejects.toMatchObject({ code: 'endpoint-unavailable', status: 500 })
    expect(delays).toEqual(expected)
    expect(mock.seen).toHaveLength(4)
  })

  it('waits at least the Retry-After of a 429', async () => {
    mock.enqueue({ status: 429, headers: { 'retry-after': '5' } })
    const p = on2019({ random: () => 0 })
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    await settle(p.getToken(VAULT))
    expect(delays).toEqual([5000])
  })
})

describe('appService(): an endpoint that echoes the header', () => {
  it('withholds an upstream error identifier that repeats the header', async () => {
    const header = 'EchoedHeader_0c5f'
    mock.enqueue({ status: 400, body: { error: header, error_description: header } })
    const p = appService({ endpoint: TOKEN_URL, header, dispatcher: mock.agent })
    providers.push(p)
    const error = await p.getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'rejected', status: 400, upstreamError: undefined, source: 'app-service', retryable: false })
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(header)
  })

  it('keeps an ordinary upstream error identifier', async () => {
    mock.enqueue({ status: 400, body: { error: 'invalid_request', error_description: 'Unable to load the proper Managed Identity.' } })
    await expect(on2019().getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', upstreamError: 'invalid_request' })
  })
})
