import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS,
  SERVICE_ACCOUNT_AUDIENCE,
  SERVICE_ACCOUNT_ISSUER,
  SERVICE_ACCOUNT_SUBJECT,
  startEmulator,
} from '../src/index.js'
import type { Emulator, EmulatorOptions } from '../src/index.js'
import { entraForm, entraTokenRequest } from './https-client.js'

let emulator: Emulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

const readToken = (e: Emulator): Promise<string> => readFile(e.entra.tokenFile, 'utf8')

describe('the projected service-account token', () => {
  it('is an RS256 JWT from a fake AKS issuer for the workload service account', async () => {
    const at = Date.UTC(2031, 0, 1)
    emulator = await startEmulator({ now: () => at })
    const token = await readToken(emulator)
    expect(token).toBe(token.trim())
    expect(decodeProtectedHeader(token).alg).toBe('RS256')
    const claims = decodeJwt(token)
    expect(SERVICE_ACCOUNT_ISSUER).toMatch(/^https:\/\/oidc\.prod-aks\.azure\.com\/[0-9a-f-]{36}\/$/)
    expect(claims).toMatchObject({
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: 'system:serviceaccount:default:workload',
      aud: ['api://AzureADTokenExchange'],
      iat: at / 1000,
      exp: at / 1000 + DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS / 1000,
    })
    expect([SERVICE_ACCOUNT_SUBJECT, SERVICE_ACCOUNT_AUDIENCE]).toEqual(['system:serviceaccount:default:workload', 'api://AzureADTokenExchange'])
  })

  it('lives in a private temp directory beside the CA file', async () => {
    emulator = await startEmulator()
    expect(dirname(emulator.entra.tokenFile)).toBe(dirname(emulator.entra.caFile))
    expect((await stat(emulator.entra.tokenFile)).mode & 0o077).toBe(0)
    expect((await stat(dirname(emulator.entra.tokenFile))).mode & 0o077).toBe(0)
  })

  it('expires after serviceAccountTokenLifetimeMs and is refused then, until rotated', async () => {
    let clock = Date.UTC(2031, 0, 1)
    emulator = await startEmulator({ now: () => clock, workloadIdentity: { serviceAccountTokenLifetimeMs: 60_000 } })
    expect(decodeJwt(await readToken(emulator)).exp).toBe(clock / 1000 + 60)
    expect((await entraTokenRequest(emulator)).status).toBe(200)
    clock += 60_000
    const expired = await entraTokenRequest(emulator)
    expect(expired.json()).toMatchObject({ error: 'invalid_client', error_codes: [700024] })
    await emulator.entra.rotateServiceAccountToken()
    expect((await entraTokenRequest(emulator)).status).toBe(200)
  })
})

describe('entra.rotateServiceAccountToken()', () => {
  it('replaces the file; only the new content is accepted afterwards', async () => {
    emulator = await startEmulator()
    const before = await readToken(emulator)
    const oldBody = await entraForm(emulator)
    await emulator.entra.rotateServiceAccountToken()
    const after = await readToken(emulator)
    expect(after).not.toBe(before)
    const old = await entraTokenRequest(emulator, { body: oldBody })
    expect(old.json()).toMatchObject({ error: 'invalid_client', error_codes: [70021] })
    expect(old.text).not.toContain(before)
    expect((await entraTokenRequest(emulator)).status).toBe(200)
  })

  it('leaves no temp file behind, and concurrent rotations end with the accepted token in the file', async () => {
    emulator = await startEmulator()
    await Promise.all([1, 2, 3].map(() => emulator?.entra.rotateServiceAccountToken()))
    expect((await readdir(dirname(emulator.entra.tokenFile))).sort()).toEqual(['azure-identity-token', 'ca.pem'])
    expect((await entraTokenRequest(emulator)).status).toBe(200)
  })

  it('rejects with ERR_EMULATOR_CLOSED after close()', async () => {
    const local = await startEmulator()
    await local.close()
    await expect(local.entra.rotateServiceAccountToken()).rejects.toMatchObject({ code: 'ERR_EMULATOR_CLOSED' })
  })

  it('finishes before close() removes the directory', async () => {
    const local = await startEmulator()
    const rotating = local.entra.rotateServiceAccountToken()
    await local.close()
    await rotating
    expect(existsSync(dirname(local.entra.tokenFile))).toBe(false)
  })
})

describe('startEmulator({ workloadIdentity })', () => {
  it('uses the given client and object ids', async () => {
    const clientId = '11111111-0000-4000-8000-000000000001'
    emulator = await startEmulator({ workloadIdentity: { clientId, objectId: '11111111-0000-4000-8000-000000000002' } })
    expect(emulator.entra.clientId).toBe(clientId)
    const token = (await entraTokenRequest(emulator)).json()['access_token'] as string
    expect(await emulator.verify(token)).toMatchObject({ appid: clientId, oid: '11111111-0000-4000-8000-000000000002' })
  })

  it.each<[string, EmulatorOptions['workloadIdentity']]>([
    ['an empty clientId', { clientId: '' }],
    ['a lifetime that is not whole seconds', { serviceAccountTokenLifetimeMs: 1500 }],
    ['a lifetime under a second', { serviceAccountTokenLifetimeMs: 0 }],
    ['refreshInSeconds 0', { refreshInSeconds: 0 }],
    ['a fractional refreshInSeconds', { refreshInSeconds: 1.5 }],
  ])('throws ERR_EMULATOR_CONFIG for %s', async (_label, workloadIdentity) => {
    await expect(startEmulator({ workloadIdentity })).rejects.toMatchObject({ code: 'ERR_EMULATOR_CONFIG' })
  })
})
