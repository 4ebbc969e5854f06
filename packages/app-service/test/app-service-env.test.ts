import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  appService,
  IDENTITY_ENDPOINT,
  IDENTITY_HEADER,
  IDENTITY_SERVER_THUMBPRINT,
  MAX_APP_SERVICE_HEADER_LENGTH,
  MSI_ENDPOINT,
  MSI_SECRET,
  type AppServiceOptions,
} from '../src/index.js'
import { stubAppServiceEnv } from './env.js'
import { mockEndpoint, ORIGIN, TOKEN_URL } from './mock-endpoint.js'

const VAULT = 'https://vault.azure.net/.default'
const HEADER = 'ENV-HEADER-VALUE-91c2'
const SECRET = 'ENV-LEGACY-SECRET-5d7e'
const ON_2019 = { [IDENTITY_ENDPOINT]: TOKEN_URL, [IDENTITY_HEADER]: HEADER }
const ON_2017 = { [MSI_ENDPOINT]: TOKEN_URL, [MSI_SECRET]: SECRET }

let mock: ReturnType<typeof mockEndpoint>
const providers: { close(): Promise<void> }[] = []

beforeEach(() => {
  mock = mockEndpoint()
  stubAppServiceEnv()
})
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()))
  await mock.agent.close()
})

function provider(options: AppServiceOptions = {}) {
  const p = appService({ dispatcher: mock.agent, ...options })
  providers.push(p)
  return p
}

/** Runs `make` and returns what it threw, failing the test if it did not throw synchronously. */
function thrown(make: () => unknown): unknown {
  try {
    make()
  } catch (error: unknown) {
    return error
  }
  throw new Error('expected a synchronous throw')
}

describe('appService(): where the endpoint is not', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['no variable', {}, [IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET]],
    ['IDENTITY_ENDPOINT alone (Azure Arc sets it with IMDS_ENDPOINT)', { [IDENTITY_ENDPOINT]: TOKEN_URL, IMDS_ENDPOINT: ORIGIN }, [`${IDENTITY_HEADER} is not`]],
    ['IDENTITY_HEADER alone', { [IDENTITY_HEADER]: HEADER }, [`${IDENTITY_ENDPOINT} is not`]],
    ['MSI_ENDPOINT alone (Cloud Shell)', { [MSI_ENDPOINT]: TOKEN_URL }, [`${MSI_SECRET} is not`]],
    ['MSI_SECRET alone', { [MSI_SECRET]: SECRET }, [`${MSI_ENDPOINT} is not`]],
    ['the Service Fabric trio', { ...ON_2019, [IDENTITY_SERVER_THUMBPRINT]: 'AB12' }, ['Service Fabric']],
  ])('returns a provider that rejects with unavailable, without a request, for %s', async (_, env, named) => {
    stubAppServiceEnv(env)
    const p = provider()
    expect(p.name).toBe('app-service')
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'unavailable', source: 'app-service', retryable: false })
    for (const words of named) expect(p.describe()).toContain(words)
    expect(mock.seen).toHaveLength(0)
  })

  it('still checks every option, so a mistake shows on a laptop too', () => {
    expect(() => provider({ clientId: 'a', objectId: 'b' })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => provider({ deadlineMs: -1 })).toThrow(expect.objectContaining({ code: 'config' }))
    expect(() => provider({ dispatcher: {} as never })).toThrow(expect.objectContaining({ code: 'config' }))
  })
})

describe('appService(): which dialect', () => {
  it('speaks 2019-08-01 when both dialects are configured', async () => {
    stubAppServiceEnv({ ...ON_2019, ...ON_2017 })
    const p = provider()
    expect(p.describe()).toContain('2019-08-01')
    await p.getToken(VAULT)
    expect(mock.seen[0]?.headers).toEqual({ 'x-identity-header': HEADER })
  })

  it('speaks 2017-09-01 with MSI_ENDPOINT and MSI_SECRET alone', async () => {
    stubAppServiceEnv(ON_2017)
    const p = provider()
    expect(p.describe()).toContain('2017-09-01')
    await p.getToken(VAULT)
    expect(mock.seen[0]?.headers).toEqual({ secret: SECRET })
  })

  it('lets the endpoint and header options override the environment, in the 2019-08-01 dialect', async () => {
    stubAppServiceEnv(ON_2017)
    const other = mockEndpoint('http://127.0.0.1:4141')
    try {
      const p = appService({ endpoint: 'http://127.0.0.1:4141/MSI/token', header: 'option-header', dispatcher: other.agent })
      providers.push(p)
      await p.getToken(VAULT)
      expect(other.seen[0]?.path).toMatch(/^\/MSI\/token\?.*api-version=2019-08-01/)
      expect(other.seen[0]?.headers).toEqual({ 'x-identity-header': 'option-header' })
      expect(mock.seen).toHaveLength(0)
    } finally {
      await other.agent.close()
    }
  })

  it('takes the other half from IDENTITY_ENDPOINT or IDENTITY_HEADER when only one option is given', async () => {
    stubAppServiceEnv(ON_2019)
    await provider({ header: 'option-header' }).getToken(VAULT)
    expect(mock.seen[0]?.headers).toEqual({ 'x-identity-header': 'option-header' })
  })

  it.each<[string, AppServiceOptions]>([
    ['endpoint without a header', { endpoint: TOKEN_URL }],
    ['header without an endpoint', { header: 'h' }],
  ])('throws config for an %s where the environment has no other half', (_, options) => {
    stubAppServiceEnv(ON_2017)
    expect(() => provider(options)).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it('reads the environment once, at construction', async () => {
    stubAppServiceEnv(ON_2019)
    const p = provider()
    stubAppServiceEnv({ [IDENTITY_ENDPOINT]: 'http://127.0.0.1:9/elsewhere', [IDENTITY_HEADER]: 'changed' })
    await p.getToken(VAULT)
    expect(mock.seen[0]?.headers).toEqual({ 'x-identity-header': HEADER })
  })

  it('never writes into the options object', () => {
    stubAppServiceEnv(ON_2019)
    const options = Object.freeze({ clientId: '11111111-1111-4111-8111-111111111111', dispatcher: mock.agent })
    providers.push(appService(options))
  })
})

describe('appService(): malformed variables and options', () => {
  const endpoints: [string, string][] = [
    ['not a URL', 'not a url'],
    ['empty', ''],
    ['another scheme', 'ftp://127.0.0.1/msi/token'],
    ['plain http to a private address', 'http://10.0.0.4:8081/msi/token'],
    ['plain http to a name', 'http://identity.example/msi/token'],
    ['plain http to IMDS', 'http://169.254.169.254/metadata/identity/oauth2/token'],
    ['plain http to IMDS in hex', 'http://0xA9FEA9FE/metadata/identity/oauth2/token'],
    ['plain http to a name under a link-local prefix', 'http://169.254.129.2.example/msi/token'],
    ['plain http to an IPv6 link-local address', 'http://[fe80::1]:8081/msi/token'],
    ['a URL with a password', 'http://user:pw@127.0.0.1:41741/msi/token'],
    ['an https URL with a user', 'https://user@identity.example/msi/token'],
  ]
  const headers: [string, string][] = [
    ['empty', ''],
    ['CR/LF (header injection)', `${HEADER}\r\nX-Injected: 1`],
    ['a trailing newline', `${HEADER}\n`],
    ['a tab', `${HEADER}\tx`],
    ['a leading space', ` ${HEADER}`],
    ['a non-ASCII character', `${HEADER}é`],
    ['too long', 'A'.repeat(MAX_APP_SERVICE_HEADER_LENGTH + 1)],
  ]

  it.each(endpoints)('throws config at once for an IDENTITY_ENDPOINT that is %s', (_, value) => {
    stubAppServiceEnv({ [IDENTITY_ENDPOINT]: value, [IDENTITY_HEADER]: HEADER })
    const error = thrown(() => provider())
    expect(error).toMatchObject({ code: 'config', source: 'app-service' })
    expect(String((error as Error).message)).toContain(IDENTITY_ENDPOINT)
    expect(JSON.stringify(error)).not.toContain(HEADER)
  })

  it.each(endpoints)('throws config at once for an MSI_ENDPOINT that is %s', (_, value) => {
    stubAppServiceEnv({ [MSI_ENDPOINT]: value, [MSI_SECRET]: SECRET })
    expect(() => provider()).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it.each(endpoints)('throws config at once for an endpoint option that is %s', (_, value) => {
    expect(() => provider({ endpoint: value, header: HEADER })).toThrow(expect.objectContaining({ code: 'config' }))
  })

  it.each(headers)('throws config at once, without quoting it, for an IDENTITY_HEADER that is %s', (_, value) => {
    stubAppServiceEnv({ [IDENTITY_ENDPOINT]: TOKEN_URL, [IDENTITY_HEADER]: value })
    const error = thrown(() => provider())
    expect(error).toMatchObject({ code: 'config', source: 'app-service' })
    if (value !== '') expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(HEADER)
  })

  // process.env cannot hold a NUL: that case can only come through the option.
  it.each([...headers, ['a NUL', `${HEADER}\u0000`]])('throws config at once for a header option that is %s', (_, value) => {
    expect(() => provider({ endpoint: TOKEN_URL, header: value })).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it.each(headers)('throws config at once for an MSI_SECRET that is %s', (_, value) => {
    stubAppServiceEnv({ [MSI_ENDPOINT]: TOKEN_URL, [MSI_SECRET]: value })
    expect(() => provider()).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it.each([
    ['https anywhere', 'https://identity.example/msi/token'],
    ['http to 127.0.0.1', 'http://127.0.0.1:41741/msi/token'],
    ['http to another 127/8 address', 'http://127.0.0.2:41741/msi/token'],
    ['http to localhost', 'http://localhost:4141/MSI/token'],
    ['http to ::1', 'http://[::1]:4141/msi/token'],
    // What App Service on Linux, Functions and Container Apps set: a link-local address.
    ['http to a link-local address (App Service on Linux)', 'http://169.254.129.2:8081/msi/token'],
    ['http to another link-local address (Functions)', 'http://169.254.255.2:8081/msi/token'],
  ])('accepts %s', (_, value) => {
    stubAppServiceEnv({ [IDENTITY_ENDPOINT]: value, [IDENTITY_HEADER]: HEADER })
    expect(provider().describe()).toContain(new URL(value).host)
  })

  it.each(['objectId', 'resourceId'] as const)('throws config for %s with the legacy dialect, which selects by client id only', (option) => {
    stubAppServiceEnv(ON_2017)
    expect(() => provider({ [option]: 'x' })).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it.each<[string, AppServiceOptions]>([
    ['two selectors', { clientId: 'a', objectId: 'b' }],
    ['three selectors', { clientId: 'a', objectId: 'b', resourceId: 'c' }],
    ['a client id with CR/LF', { clientId: 'abc\r\nX-Injected: 1' }],
    ['an empty object id', { objectId: '' }],
    ['a resource id with a space', { resourceId: '/subscriptions/a b' }],
    ['a negative deadline', { deadlineMs: -5 }],
    ['a bad retry count', { retry: { retries: -1 } }],
  ])('throws config at once for %s', (_, options) => {
    stubAppServiceEnv(ON_2019)
    expect(() => provider(options)).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
  })

  it('refuses a bad scope before any request', async () => {
    stubAppServiceEnv(ON_2019)
    const p = provider()
    await expect(p.getToken('https://vault.azure.net/.default\r\nX-IDENTITY-HEADER: x')).rejects.toMatchObject({ code: 'invalid-scope' })
    await expect(p.getToken('https://a/.default https://b/.default')).rejects.toMatchObject({ code: 'invalid-scope' })
    expect(mock.seen).toHaveLength(0)
  })
})

describe('appService(): what it tells about itself', () => {
  it.each([
    ['2019-08-01', ON_2019, HEADER],
    ['2017-09-01', ON_2017, SECRET],
  ] as const)('names the dialect, identity and endpoint but never the header (%s)', async (version, env, value) => {
    stubAppServiceEnv(env)
    const p = provider({ clientId: '11111111-1111-4111-8111-111111111111' })
    await p.getToken(VAULT)
    expect(p.describe()).toBe(`app-service (${version}, user-assigned by ${version === '2019-08-01' ? 'client_id' : 'clientid'}) at 127.0.0.1:41741/msi/token`)
    expect(p.stats().identity).toBe(
      `app-service|${ORIGIN}/msi/token|${version === '2019-08-01' ? 'client_id' : 'clientid'}=11111111-1111-4111-8111-111111111111`,
    )
    expect(`${p.describe()} ${JSON.stringify(p.stats())} ${inspect(p, { depth: 10, showHidden: true })}`).not.toContain(value)
  })
})
