import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import type { JSONWebKeySet } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SYSTEM_ASSIGNED, DEFAULT_TENANT_ID, WELL_KNOWN_JWKS_PATH, startEmulator } from '../src/index.js'
import type { Emulator, ManagedIdentity } from '../src/index.js'
import { VAULT, imdsRequest, rawRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

const UAMI: ManagedIdentity = {
  clientId: 'cccccccc-0000-4000-8000-00000000000c',
  objectId: 'cccccccc-0000-4000-8000-0000000000c0',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/c',
}

let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

async function tokenFor(e: Emulator, query = ''): Promise<ImdsTokenBody> {
  const res = await imdsRequest(e.port, {
    query: `api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}${query}`,
  })
  expect(res.status).toBe(200)
  return res.json<ImdsTokenBody>()
}

describe('emulator tokens', () => {
  it('carry the v1 managed-identity claims of the system-assigned identity', async () => {
    emulator = await startEmulator()
    const claims = await emulator.verify((await tokenFor(emulator)).access_token, { audience: VAULT })
    expect(claims).toMatchObject({
      aud: VAULT,
      iss: `https://sts.windows.net/${DEFAULT_TENANT_ID}/`,
      tid: DEFAULT_TENANT_ID,
      oid: DEFAULT_SYSTEM_ASSIGNED.objectId,
      sub: DEFAULT_SYSTEM_ASSIGNED.objectId,
      appid: DEFAULT_SYSTEM_ASSIGNED.clientId,
      xms_mirid: DEFAULT_SYSTEM_ASSIGNED.resourceId,
    })
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
    expect(claims.uti).toMatch(/^[\w-]{22}$/)
  })

  it('carry the selected user-assigned identity', async () => {
    emulator = await startEmulator({ userAssigned: [UAMI] })
    const claims = await emulator.verify((await tokenFor(emulator, `&client_id=${UAMI.clientId}`)).access_token)
    expect(claims).toMatchObject({ appid: UAMI.clientId, oid: UAMI.objectId, xms_mirid: UAMI.resourceId })
  })

  it('use the requested resource verbatim as aud', async () => {
    emulator = await startEmulator()
    const resource = 'https://management.azure.com/'
    const res = await imdsRequest(emulator.port, { query: `api-version=2018-02-01&resource=${encodeURIComponent(resource)}` })
    const claims = await emulator.verify(res.json<ImdsTokenBody>().access_token)
    expect(claims.aud).toBe(resource)
  })

  it('backdate nbf by 5 minutes and expire after the lifetime, per the emulator clock', async () => {
    const at = Date.UTC(2030, 0, 1)
    emulator = await startEmulator({ now: () => at, tokenLifetimeMs: 3_600_000 })
    const body = await tokenFor(emulator)
    const claims = await emulator.verify(body.access_token)
    expect(claims.iat).toBe(at / 1000)
    expect(claims.nbf).toBe(at / 1000 - 300)
    expect(claims.exp).toBe(at / 1000 + 3600)
    expect(body).toMatchObject({ expires_on: String(claims.exp), not_before: String(claims.nbf), expires_in: '3600' })
  })

  it('are unique per request (jti and uti)', async () => {
    emulator = await startEmulator()
    const a = await emulator.verify((await tokenFor(emulator)).access_token)
    const b = await emulator.verify((await tokenFor(emulator)).access_token)
    expect(a.jti).not.toBe(b.jti)
    expect(a.uti).not.toBe(b.uti)
  })

  it('have an RS256 header with the kid of the served key', async () => {
    emulator = await startEmulator()
    const header = decodeProtectedHeader((await tokenFor(emulator)).access_token)
    const jwks = (await rawRequest(emulator.port, WELL_KNOWN_JWKS_PATH)).json<JSONWebKeySet>()
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(jwks.keys).toHaveLength(1)
    expect(header.kid).toBe(jwks.keys[0]?.kid)
    expect(jwks.keys[0]).not.toHaveProperty('d')
  })

  it('verify against the JWKS served at jwksUri', async () => {
    emulator = await startEmulator({ tenantId: 'contoso.onmicrosoft.com' })
    expect(emulator.jwksUri).toBe(`${emulator.url}/contoso.onmicrosoft.com/discovery/v2.0/keys`)
    const { payload } = await jwtVerify((await tokenFor(emulator)).access_token, createRemoteJWKSet(new URL(emulator.jwksUri)), {
      issuer: emulator.issuer,
      audience: VAULT,
    })
    expect(payload.tid).toBe('contoso.onmicrosoft.com')
  })

  it('do not verify against another emulator', async () => {
    emulator = await startEmulator()
    const other = await startEmulator()
    try {
      const token = (await tokenFor(emulator)).access_token
      await expect(other.verify(token)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
      const jwks = (await rawRequest(other.port, WELL_KNOWN_JWKS_PATH)).json<JSONWebKeySet>()
      await expect(jwtVerify(token, createLocalJWKSet(jwks))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    } finally {
      await other.close()
    }
  })
})

describe('emulator.verify()', () => {
  it('rejects a wrong audience by code', async () => {
    emulator = await startEmulator()
    const token = (await tokenFor(emulator)).access_token
    await expect(emulator.verify(token, { audience: 'https://storage.azure.com' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    })
  })

  it('rejects a token once the emulator clock passes exp', async () => {
    let at = Date.UTC(2030, 0, 1)
    emulator = await startEmulator({ now: () => at, tokenLifetimeMs: 60_000 })
    const token = (await tokenFor(emulator)).access_token
    at += 61_000
    await expect(emulator.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })
})

describe('JWKS endpoints', () => {
  it.each([['the tenant discovery path', true], ['the well-known path', false]])('serve the key at %s', async (_label, tenantPath) => {
    emulator = await startEmulator()
    const path = tenantPath ? new URL(emulator.jwksUri).pathname : WELL_KNOWN_JWKS_PATH
    const res = await rawRequest(emulator.port, path)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json<JSONWebKeySet>().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
  })

  it('answer 405 to POST', async () => {
    emulator = await startEmulator()
    expect((await rawRequest(emulator.port, WELL_KNOWN_JWKS_PATH, { method: 'POST' })).status).toBe(405)
  })
})
