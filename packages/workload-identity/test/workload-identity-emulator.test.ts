import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { KeylessTokenProvider } from '@keyless/core'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { Agent, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AZURE_AUTHORITY_HOST,
  AZURE_CLIENT_ID,
  AZURE_FEDERATED_TOKEN_FILE,
  AZURE_TENANT_ID,
  JWT_BEARER_ASSERTION_TYPE,
  workloadIdentity,
  type WorkloadIdentityOptions,
} from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { changed, VAULT } from './fixtures.js'

let emulator: Emulator
const providers: KeylessTokenProvider[] = []

beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(providers.splice(0).map((p) => p.close()))
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

function provider(options: WorkloadIdentityOptions = {}, on: Emulator = emulator): KeylessTokenProvider {
  const { entra } = on
  const p = workloadIdentity({
    clientId: entra.clientId,
    tenantId: entra.tenantId,
    tokenFilePath: entra.tokenFile,
    authorityHost: entra.authorityHost,
    ca: entra.caPem,
    ...options,
  })
  providers.push(p)
  return p
}

/** Rotates the emulator's service-account token and resolves once the change is visible to watchers. */
function rotate(on: Emulator = emulator): Promise<void> {
  const file = on.entra.tokenFile
  return changed(dirname(file), basename(file), () => on.entra.rotateServiceAccountToken())
}

/** POSTs an exchange with `assertion` directly, as a control that the emulator refuses stale ones. */
async function exchange(assertion: string): Promise<{ status: number; body: unknown }> {
  const dispatcher = new Agent({ connect: { ca: emulator.entra.caPem } })
  try {
    const form = new URLSearchParams({
      client_id: emulator.entra.clientId,
      scope: VAULT,
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: assertion,
    })
    const response = await request(emulator.entra.tokenEndpoint, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    })
    return { status: response.statusCode, body: await response.body.json() }
  } finally {
    await dispatcher.close()
  }
}

describe('workloadIdentity() against the emulator: protocol', () => {
  it('gets a token for the resource of the scope with one POST and no discovery request', async () => {
    const token = await provider().getToken(VAULT)
    const claims = await emulator.verify(token.token, { audience: 'https://vault.azure.net' })
    expect(claims.appid).toBe(emulator.entra.clientId)
    expect(claims.tid).toBe(emulator.entra.tenantId)
    expect(emulator.requests).toEqual([expect.objectContaining({ method: 'POST', endpoint: 'entra', status: 200, path: `/${emulator.entra.tenantId}/oauth2/v2.0/token` })])
    expect(emulator.counters.byEndpoint['entra']).toBe(1)
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 50 * 60_000)
  })

  it('turns a v1 resource into a v2 scope the emulator accepts, trailing slash included', async () => {
    const p = provider()
    const arm = await p.getToken('https://management.azure.com/')
    const vault = await p.getToken('https://vault.azure.net')
    expect((await emulator.verify(arm.token)).aud).toBe('https://management.azure.com/')
    expect((await emulator.verify(vault.token)).aud).toBe('https://vault.azure.net')
  })

  it('runs from the environment envFor() gives, with the CA as an option', async () => {
    const env = emulator.envFor('workload-identity')
    for (const name of [AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST]) vi.stubEnv(name, env[name])
    const p = workloadIdentity({ ca: emulator.entra.caPem })
    providers.push(p)
    const token = await p.getToken(VAULT)
    expect((await emulator.verify(token.token, { audience: 'https://vault.azure.net' })).appid).toBe(emulator.entra.clientId)
    expect(p.describe()).toContain(new URL(emulator.entra.authorityHost).host)
  })

  it('serves a second call from the cache and shares one request between concurrent callers', async () => {
    emulator.faultsFor('entra').latencyMs(30)
    const p = provider()
    const tokens = await Promise.all(Array.from({ length: 200 }, () => p.getToken(VAULT)))
    await p.getToken(VAULT)
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1)
    expect(emulator.counters.byEndpoint['entra']).toBe(1)
  })

  it('fails with rejected (400 unauthorized_client) for a client id the tenant does not know, without retrying', async () => {
    const p = provider({ clientId: '99999999-9999-4999-8999-999999999999' })
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', status: 400, upstreamError: 'unauthorized_client', retryable: false })
    expect(emulator.counters.byEndpoint['entra']).toBe(1)
  })

  it('fails with rejected for a tenant the emulator does not know', async () => {
    await expect(provider({ tenantId: 'contoso.onmicrosoft.com' }).getToken(VAULT)).rejects.toMatchObject({ code: 'rejected', status: 400, upstreamError: 'invalid_request' })
  })
})

describe('workloadIdentity() against the emulator: token rotation', () => {
  it('sends the rotated token after a forced refresh, which the emulator accepts, and the old one no longer is', async () => {
    const p = provider({ forceRefreshIntervalMs: 0 })
    await p.getToken(VAULT)
    const old = (await readFile(emulator.entra.tokenFile, 'utf8')).trim()
    await rotate()
    const token = await p.getToken(VAULT, { forceRefresh: true })
    expect((await emulator.verify(token.token)).aud).toBe('https://vault.azure.net')
    expect(emulator.requests.map((r) => r.status)).toEqual([200, 200])
    // The control: without a re-read the provider would have sent `old`, which is now refused.
    await expect(exchange(old)).resolves.toMatchObject({ status: 400, body: { error: 'invalid_client' } })
  })

  it('sends the rotated token with a claims challenge', async () => {
    const p = provider()
    await p.getToken(VAULT)
    await rotate()
    await expect(p.getToken(VAULT, { claims: '{"access_token":{"nbf":{"essential":true}}}' })).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(emulator.requests.map((r) => r.status)).toEqual([200, 200])
  })

  it('keeps up with several rotations in a row', async () => {
    const p = provider({ forceRefreshIntervalMs: 0 })
    for (let i = 0; i < 3; i++) {
      await rotate()
      await p.getToken(VAULT, { forceRefresh: true })
    }
    expect(emulator.requests.map((r) => r.status)).toEqual([200, 200, 200])
  })
})

describe('workloadIdentity() against the emulator: refresh_in', () => {
  it('refreshes at refresh_in, in the background, with the current token file', async () => {
    const withRefreshIn = await startEmulator({ workloadIdentity: { refreshInSeconds: 600 } })
    try {
      useEngineFakeTimers()
      const p = provider({ refreshJitterRatio: 0 }, withRefreshIn)
      const before = Date.now()
      const first = await settle(p.getToken(VAULT))
      // refresh_in counts from when the request was sent, somewhere in [before, now] on the fake clock
      // (without it, the engine would refresh this long-lived token at half its lifetime).
      expect(first.refreshAt).toBeGreaterThanOrEqual(before + 600_000)
      expect(first.refreshAt).toBeLessThanOrEqual(Date.now() + 600_000)
      expect(withRefreshIn.counters.byEndpoint['entra']).toBe(1)
      await rotate(withRefreshIn)
      const refreshed = new Promise<void>((resolve) => p.on('refresh-success', () => resolve()))
      // Nothing calls getToken: the engine's timer refreshes the token in use at refresh_in, not before.
      await vi.advanceTimersByTimeAsync(first.refreshAt - Date.now() - 1000)
      expect(withRefreshIn.counters.byEndpoint['entra']).toBe(1)
      await settle(withRefreshIn.waitForRequests(2))
      expect(Date.now()).toBeGreaterThanOrEqual(first.refreshAt)
      await settle(refreshed)
      const second = p.peekToken(VAULT)
      expect(second?.token).not.toBe(first.token)
      expect(withRefreshIn.requests.map((r) => r.status)).toEqual([200, 200])
    } finally {
      vi.useRealTimers()
      await withRefreshIn.close()
    }
  })
})

describe('workloadIdentity() against the emulator: TLS', () => {
  it('refuses the emulator without its CA: network, not retried, no token request reaches it', async () => {
    const p = provider({ ca: undefined })
    const retries: number[] = []
    p.on('retry', (e) => retries.push(e.attempt))
    const error: unknown = await p.getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'network', retryable: false, source: 'workload-identity' })
    expect(retries).toEqual([])
    expect(emulator.counters.tokenRequests).toBe(0)
  })

  it('refuses an http authority at construction, even on loopback', () => {
    expect(() => provider({ authorityHost: emulator.entra.authorityHost.replace('https:', 'http:') })).toThrow(expect.objectContaining({ code: 'config' }))
  })
})
