import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:tls'
import type { PeerCertificate } from 'node:tls'
import { createLocalJWKSet, jwtVerify } from 'jose'
import type { JSONWebKeySet } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TENANT_ID, DEFAULT_WORKLOAD_IDENTITY, startEmulator } from '../src/index.js'
import type { Emulator } from '../src/index.js'
import { VAULT, rawRequest } from './http-client.js'
import { entraForm, entraTokenRequest, httpsRequest } from './https-client.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ tokenLifetimeMs: 3_600_000 })
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

const openIdPath = (tenant: string): string => `/${tenant}/v2.0/.well-known/openid-configuration`

function peerCertificate(port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerCertificate())
      socket.end()
    })
    socket.on('error', reject)
  })
}

describe('the Entra server', () => {
  it('listens over HTTPS on another 127.0.0.1 port, for the same tenant', () => {
    expect(emulator.entra.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(new URL(emulator.entra.authorityHost).port).not.toBe(String(emulator.port))
    expect(emulator.entra.tenantId).toBe(DEFAULT_TENANT_ID)
    expect(emulator.entra.clientId).toBe(DEFAULT_WORKLOAD_IDENTITY.clientId)
    expect(emulator.entra.tokenEndpoint).toBe(`${emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`)
  })

  it('is trusted with the CA: a request without it fails with a certificate error', async () => {
    const url = emulator.entra.authorityHost + openIdPath(DEFAULT_TENANT_ID)
    await expect(httpsRequest(url)).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT/) })
    expect(emulator.requests).toEqual([])
    expect((await httpsRequest(url, { ca: emulator.entra.caPem })).status).toBe(200)
  })

  it('has a certificate for IP 127.0.0.1 and DNS localhost, signed by a CA of its own', async () => {
    const peer = await peerCertificate(Number(new URL(emulator.entra.authorityHost).port), emulator.entra.caPem)
    expect(peer.subjectaltname?.split(', ').sort()).toEqual(['DNS:localhost', 'IP Address:127.0.0.1'])
    const ca = new X509Certificate(emulator.entra.caPem)
    expect(ca.ca).toBe(true)
    expect(new X509Certificate(peer.raw).verify(ca.publicKey)).toBe(true)
    const localhost = emulator.entra.authorityHost.replace('127.0.0.1', 'localhost')
    expect((await httpsRequest(localhost + openIdPath(DEFAULT_TENANT_ID), { ca: emulator.entra.caPem })).status).toBe(200)
  })

  it('writes the CA PEM to caFile, and each emulator makes its own CA', async () => {
    expect(await readFile(emulator.entra.caFile, 'utf8')).toBe(emulator.entra.caPem)
    expect(emulator.entra.caPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/)
    await using other = await startEmulator()
    expect(other.entra.caPem).not.toBe(emulator.entra.caPem)
    await expect(httpsRequest(other.entra.authorityHost + openIdPath(DEFAULT_TENANT_ID), { ca: emulator.entra.caPem })).rejects.toThrow()
  })

  it('serves neither admin nor managed-identity endpoints', async () => {
    const get = (path: string): Promise<number> =>
      httpsRequest(emulator.entra.authorityHost + path, { ca: emulator.entra.caPem }).then((res) => res.status)
    expect(await get('/_admin/requests')).toBe(404)
    expect(await get('/metadata/identity/oauth2/token?api-version=2018-02-01&resource=r')).toBe(404)
    expect(await get('/msi/token')).toBe(404)
  })
})

describe('GET /{tenant}/v2.0/.well-known/openid-configuration', () => {
  it('returns the fields MSAL requires, every URL on the authority host', async () => {
    const { authorityHost } = emulator.entra
    const res = await httpsRequest(authorityHost + openIdPath(DEFAULT_TENANT_ID), { ca: emulator.entra.caPem })
    const document = res.json()
    expect(document).toMatchObject({
      token_endpoint: `${authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
      issuer: `${authorityHost}/${DEFAULT_TENANT_ID}/v2.0`,
      authorization_endpoint: `${authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/authorize`,
      jwks_uri: `${authorityHost}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`,
    })
    const urls = Object.values(document).filter((value): value is string => typeof value === 'string' && value.includes('://'))
    expect(urls.length).toBeGreaterThanOrEqual(5)
    for (const url of urls) expect(url.startsWith(`${authorityHost}/`)).toBe(true)
    expect(emulator.requests[0]).toMatchObject({ endpoint: 'openid-configuration', token: false, status: 200 })
  })

  it('serves at jwks_uri the key that verifies Entra tokens', async () => {
    const jwks = (await httpsRequest(`${emulator.entra.authorityHost}/${DEFAULT_TENANT_ID}/discovery/v2.0/keys`, { ca: emulator.entra.caPem })).json<JSONWebKeySet>()
    expect(jwks).toEqual((await rawRequest(emulator.port, '/.well-known/jwks.json')).json())
    const token = (await entraTokenRequest(emulator)).json()['access_token'] as string
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: emulator.issuer, audience: VAULT })
    expect(payload['appid']).toBe(emulator.entra.clientId)
  })

  it('answers 400 invalid_tenant for another tenant', async () => {
    const res = await httpsRequest(emulator.entra.authorityHost + openIdPath('other-tenant'), { ca: emulator.entra.caPem })
    expect(res.status).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] })
  })
})

describe('POST /{tenant}/oauth2/v2.0/token', () => {
  it('exchanges the service-account token for an access token to the scope resource', async () => {
    const res = await entraTokenRequest(emulator)
    expect(res.status).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type'])
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 })
    const claims = await emulator.verify(body['access_token'] as string, { audience: VAULT })
    expect(claims).toMatchObject({
      appid: DEFAULT_WORKLOAD_IDENTITY.clientId,
      oid: DEFAULT_WORKLOAD_IDENTITY.objectId,
      tid: DEFAULT_TENANT_ID,
      iss: `https://sts.windows.net/${DEFAULT_TENANT_ID}/`,
    })
  })

  it('keeps everything before /.default as the audience, a trailing slash included', async () => {
    const body = await entraForm(emulator, { scope: 'https://management.azure.com//.default' })
    const token = (await entraTokenRequest(emulator, { body })).json()['access_token'] as string
    expect((await emulator.verify(token)).aud).toBe('https://management.azure.com/')
  })

  it('accepts the extra fields and query MSAL sends, and the path in any case', async () => {
    const body = await entraForm(emulator, {
      'x-client-SKU': 'msal.js.node',
      'x-client-VER': '5.6.0',
      'x-ms-lib-capability': 'retry-after, h429',
      'client-request-id': 'c0ffee00-0000-4000-8000-000000000000',
    })
    const path = `/${DEFAULT_TENANT_ID.toUpperCase()}/OAuth2/v2.0/token/?client-request-id=c0ffee00-0000-4000-8000-000000000000`
    expect((await entraTokenRequest(emulator, { body, path })).status).toBe(200)
    expect(emulator.requests[0]).toMatchObject({
      endpoint: 'entra',
      token: true,
      method: 'POST',
      query: { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000000' },
    })
    expect(emulator.counters.byEndpoint).toEqual({ imds: 0, 'app-service': 0, 'app-service-2017': 0, entra: 1 })
  })

  it('adds refresh_in only when refreshInSeconds is set', async () => {
    await using local = await startEmulator({ workloadIdentity: { refreshInSeconds: 1800 } })
    expect((await entraTokenRequest(local)).json()).toMatchObject({ refresh_in: 1800, expires_in: 86_400 })
    expect((await entraTokenRequest(emulator)).json()).not.toHaveProperty('refresh_in')
  })

  type Rejection = [label: string, request: () => Promise<{ body?: string; path?: string; method?: string; headers?: Record<string, string> }>, error: string, code: number]
  const form = (overrides: Record<string, string | undefined>) => async () => ({ body: await entraForm(emulator, overrides) })
  it.each<Rejection>([
    ['another tenant in the path', async () => ({ path: '/other-tenant/oauth2/v2.0/token' }), 'invalid_request', 90002],
    ['GET', async () => ({ method: 'GET', body: '' }), 'invalid_request', 900561],
    ['a JSON body', async () => ({ headers: { 'Content-Type': 'application/json' }, body: '{}' }), 'invalid_request', 900144],
    ['a body over 64 KiB', async () => ({ body: `${await entraForm(emulator)}&pad=${'x'.repeat(70_000)}` }), 'invalid_request', 90015],
    ['a duplicated field', async () => ({ body: `${await entraForm(emulator)}&scope=x` }), 'invalid_request', 9000411],
    ['no grant_type', form({ grant_type: undefined }), 'invalid_request', 900144],
    ['grant_type password', form({ grant_type: 'password' }), 'unsupported_grant_type', 70003],
    ['no client_id', form({ client_id: undefined }), 'invalid_request', 900144],
    ['another client_id', form({ client_id: 'ffffffff-0000-4000-8000-000000000000' }), 'unauthorized_client', 700016],
    ['no scope', form({ scope: undefined }), 'invalid_request', 900144],
    ['a scope without /.default', form({ scope: VAULT }), 'invalid_scope', 1002012],
    ['the scope /.default alone', form({ scope: '/.default' }), 'invalid_scope', 1002012],
    ['two scopes', form({ scope: `${VAULT}/.default https://storage.azure.com/.default` }), 'invalid_scope', 70011],
    ['no client_assertion', form({ client_assertion: undefined }), 'invalid_client', 7000218],
    ['no client_assertion_type', form({ client_assertion_type: undefined }), 'invalid_request', 900144],
    ['another client_assertion_type', form({ client_assertion_type: 'urn:other' }), 'invalid_request', 50027],
    ['an assertion that is not the file content', form({ client_assertion: 'eyJhbGciOiJub25lIn0.e30.' }), 'invalid_client', 70021],
  ])('answers 400 %s with Entra’s error body', async (_label, request, error, code) => {
    const assertion = (await readFile(emulator.entra.tokenFile, 'utf8')).trim()
    const res = await entraTokenRequest(emulator, await request())
    expect(res.status).toBe(400)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'timestamp', 'trace_id'])
    expect(body).toMatchObject({ error, error_codes: [code], error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: `)) })
    expect(body['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
    expect(res.text).not.toContain(assertion)
    expect(emulator.counters.tokensMinted).toBe(0)
  })

  it('echoes client-request-id as correlation_id in errors', async () => {
    const res = await entraTokenRequest(emulator, {
      body: await entraForm(emulator, { grant_type: undefined }),
      path: `/${DEFAULT_TENANT_ID}/oauth2/v2.0/token?client-request-id=abc-123`,
    })
    expect(res.json()['correlation_id']).toBe('abc-123')
  })
})
