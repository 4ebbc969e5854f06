import { describe, expect, it } from 'vitest'
import { authorizedFetch } from '../../src/outbound/authorized-fetch.js'
import { bearerAuth } from '../../src/outbound/bearer-auth.js'
import { originOf, resolveOutboundAuthOptions, type OutboundAuthOptions } from '../../src/outbound/outbound-auth-options.js'
import { fakeProvider } from './outbound-fixtures.js'

const SCOPE = 'https://vault.azure.net/.default'
const factories: Array<[string, (options: OutboundAuthOptions) => unknown]> = [
  ['bearerAuth', bearerAuth],
  ['authorizedFetch', authorizedFetch],
]

function attempt(factory: (options: OutboundAuthOptions) => unknown, options: unknown): unknown {
  try {
    factory(options as OutboundAuthOptions)
  } catch (error) {
    return error
  }
  return undefined
}

describe('resolveOutboundAuthOptions()', () => {
  it.each([
    ['https://myvault.vault.azure.net', 'https://myvault.vault.azure.net'],
    ['https://myvault.vault.azure.net/', 'https://myvault.vault.azure.net'],
    ['HTTPS://MyVault.Vault.Azure.NET:443', 'https://myvault.vault.azure.net'],
    ['https://myvault.vault.azure.net:8443', 'https://myvault.vault.azure.net:8443'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
  ])('accepts the origin %s as %s', (key, origin) => {
    const { origins } = resolveOutboundAuthOptions({ provider: fakeProvider(), origins: { [key]: SCOPE } }, 'bearerAuth')
    expect([...origins]).toEqual([[origin, SCOPE]])
  })

  it('accepts one origin spelled twice with the same scope', () => {
    const { origins } = resolveOutboundAuthOptions({ provider: fakeProvider(), origins: { 'https://a.example': SCOPE, 'https://A.example:443/': SCOPE } }, 'bearerAuth')
    expect(origins.size).toBe(1)
  })

  it('never writes into the caller’s objects and keeps a copy of them', () => {
    const origins = Object.freeze({ 'https://a.example': SCOPE })
    const options = Object.freeze({ provider: Object.freeze(fakeProvider()), origins })
    const resolved = resolveOutboundAuthOptions(options, 'bearerAuth')
    expect(resolved.origins).not.toBe(origins)
    expect(options.origins).toEqual({ 'https://a.example': SCOPE })
  })
})

describe.each(factories)('%s() options', (name, factory) => {
  const provider = fakeProvider()

  it.each([
    ['a path', 'https://myvault.vault.azure.net/secrets'],
    ['a double slash path', 'https://myvault.vault.azure.net//'],
    ['a query', 'https://myvault.vault.azure.net?api-version=7.4'],
    ['an empty query', 'https://myvault.vault.azure.net/?'],
    ['a fragment', 'https://myvault.vault.azure.net#x'],
    ['credentials', 'https://user:hunter2@myvault.vault.azure.net'],
    ['a user name', 'https://user@myvault.vault.azure.net'],
    ['a wildcard', 'https://*.vault.azure.net'],
    ['plain http to a host that is not loopback', 'http://myvault.vault.azure.net'],
    ['plain http to IMDS, which is not loopback', 'http://169.254.169.254'],
    ['plain http to a name under .localhost, which DNS resolves', 'http://api.localhost'],
    ['another scheme', 'ftp://files.example'],
    ['no scheme', 'myvault.vault.azure.net'],
    ['nothing', ''],
  ])('refuses an origin key with %s (config)', (_problem, key) => {
    const error = attempt(factory, { provider, origins: { [key]: SCOPE } })
    expect(error).toMatchObject({ code: 'config', source: name })
    expect((error as Error).message).not.toContain('hunter2')
  })

  it.each([
    ['empty', ''],
    ['several scopes', 'https://vault.azure.net/.default https://storage.azure.com/.default'],
    ['not a string', 42],
    ['a control character', 'https://vault.azure.net\n'],
  ])('refuses a scope that is %s (config, invalid-scope as cause)', (_problem, scope) => {
    const error = attempt(factory, { provider, origins: { 'https://a.example': scope } })
    expect(error).toMatchObject({ code: 'config', cause: { code: 'invalid-scope' } })
  })

  it.each([
    ['no options', undefined],
    ['no provider', { origins: { 'https://a.example': SCOPE } }],
    ['a provider without getToken', { provider: { name: 'x' }, origins: { 'https://a.example': SCOPE } }],
    ['no origins', { provider }],
    ['origins as an array', { provider, origins: [['https://a.example', SCOPE]] }],
    ['empty origins', { provider, origins: {} }],
    ['one origin with two scopes', { provider, origins: { 'https://a.example': SCOPE, 'https://A.EXAMPLE:443': 'api://other/.default' } }],
  ])('refuses %s (config)', (_problem, options) => {
    expect(attempt(factory, options)).toMatchObject({ code: 'config' })
  })
})

describe('authorizedFetch() options', () => {
  it('refuses a fetch that is not a function (config)', () => {
    expect(attempt(authorizedFetch, { provider: fakeProvider(), origins: { 'https://a.example': SCOPE }, fetch: 'fetch' })).toMatchObject({ code: 'config' })
  })
})

describe('originOf()', () => {
  it.each([
    ['HTTPS://Vault.Example:443/secrets?x=1', 'https://vault.example'],
    [new URL('http://127.0.0.1:8080/x'), 'http://127.0.0.1:8080'],
    ['ftp://files.example', undefined],
    ['not a url', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('gives %s the origin %s', (url, origin) => {
    expect(originOf(url)).toBe(origin)
  })
})
