import type { KeylessTokenProvider } from '@keyless/core'
import { startEmulator, type Emulator, type FaultStep } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ENTRA_RETRY_POLICY, workloadIdentity, type WorkloadIdentityOptions } from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { VAULT } from './fixtures.js'

const ATTEMPTS = ENTRA_RETRY_POLICY.retries + 1
let emulator: Emulator
const providers: KeylessTokenProvider[] = []

beforeAll(async () => {
  emulator = await startEmulator()
})
beforeEach(() => {
  useEngineFakeTimers()
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(providers.splice(0).map((p) => p.close()))
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

function provider(options: WorkloadIdentityOptions = {}): KeylessTokenProvider {
  const { entra } = emulator
  const p = workloadIdentity({
    clientId: entra.clientId,
    tenantId: entra.tenantId,
    tokenFilePath: entra.tokenFile,
    authorityHost: entra.authorityHost,
    ca: entra.caPem,
    random: () => 0.5,
    ...options,
  })
  providers.push(p)
  return p
}

const entraRequests = (): number => emulator.counters.byEndpoint['entra'] ?? 0

describe('workloadIdentity(): retried faults', () => {
  it.each<[string, FaultStep]>([
    ['408', { status: 408 }],
    ['429 without Retry-After', { status: 429 }],
    ['429 with Retry-After', { status: 429, retryAfter: '3' }],
    ['500', { status: 500 }],
    ['502', { status: 502 }],
    ['503', { status: 503 }],
    ['504', { status: 504 }],
    ['a connection reset', { kind: 'reset' }],
    ['a hang (cut at attemptTimeoutMs)', { kind: 'hang' }],
  ])('retries %s twice and then gets the token', async (_, step) => {
    emulator.faultsFor('entra').enqueue(step, step)
    const token = await settle(provider().getToken(VAULT))
    expect((await emulator.verify(token.token, { audience: 'https://vault.azure.net' })).appid).toBe(emulator.entra.clientId)
    expect(entraRequests()).toBe(3)
  })

  it('waits at least the Retry-After of a 429', async () => {
    emulator.faultsFor('entra').enqueue({ status: 429, retryAfter: '7' })
    const p = provider()
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    const start = Date.now()
    await settle(p.getToken(VAULT))
    expect(delays).toEqual([7000])
    expect(Date.now() - start).toBeGreaterThanOrEqual(7000)
  })

  it('backs off by the documented policy: full jitter from 1 s, at least 0.5 s', async () => {
    emulator.faultsFor('entra').enqueue({ status: 503 }, { status: 503 }, { status: 503 })
    const p = provider()
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    await settle(p.getToken(VAULT))
    // random() = 0.5: halfway between 0.5 s and min(30 s, 1 s · 2^n).
    expect(delays).toEqual([750, 1250, 2250])
  })

  it.each<[string, FaultStep, string]>([
    ['500', { status: 500 }, 'endpoint-unavailable'],
    ['503', { status: 503 }, 'endpoint-unavailable'],
    ['429', { status: 429, retryAfter: '1' }, 'throttled'],
    ['a reset', { kind: 'reset' }, 'network'],
  ])('gives up on a persistent %s after 3 retries with code %s', async (_, step, code) => {
    emulator.faultsFor('entra').always(step)
    await expect(settle(provider().getToken(VAULT))).rejects.toMatchObject({ code, source: 'workload-identity' })
    expect(entraRequests()).toBe(ATTEMPTS)
  })

  it('settles with deadline at deadlineMs when the endpoint never answers', async () => {
    emulator.faultsFor('entra').always({ kind: 'hang' })
    const start = Date.now()
    const pending = provider({ deadlineMs: 8000 }).getToken(VAULT)
    await expect(settle(pending, { stepMs: 50 })).rejects.toMatchObject({ code: 'deadline' })
    expect(Date.now() - start).toBeGreaterThanOrEqual(8000)
    expect(Date.now() - start).toBeLessThan(8200)
  })
})

describe('workloadIdentity(): faults that are not retried', () => {
  it.each<[string, FaultStep, Record<string, unknown>]>([
    ['a 400', { status: 400 }, { code: 'rejected', status: 400, upstreamError: 'invalid_request' }],
    ['a 401', { status: 401 }, { code: 'rejected', status: 401, upstreamError: 'invalid_client' }],
    ['a 403', { status: 403 }, { code: 'rejected', status: 403 }],
    ['a non-JSON 200', { kind: 'non-json' }, { code: 'bad-response' }],
    ['an oversized 200', { kind: 'oversized' }, { code: 'bad-response' }],
    ['a 200 without access_token', { kind: 'no-access-token' }, { code: 'bad-response' }],
    ['a 200 whose expiry is in the past', { kind: 'expires-in-past' }, { code: 'bad-response' }],
  ])('fails at once on %s', async (_, step, expected) => {
    emulator.faultsFor('entra').enqueue(step)
    await expect(settle(provider().getToken(VAULT))).rejects.toMatchObject({ ...expected, retryable: false, source: 'workload-identity' })
    expect(entraRequests()).toBe(1)
  })
})

describe('workloadIdentity(): outage with a cached token', () => {
  it('keeps serving the cached token while refreshes fail, then picks up a new one', async () => {
    const p = provider({ forceRefreshIntervalMs: 0 })
    const token = await settle(p.getToken(VAULT))
    emulator.faultsFor('entra').always({ status: 503 })
    await expect(settle(p.getToken(VAULT, { forceRefresh: true }))).rejects.toMatchObject({ code: 'endpoint-unavailable' })
    await expect(p.getToken(VAULT)).resolves.toBe(token)
    emulator.faultsFor('entra').clear()
    const fresh = await settle(p.getToken(VAULT, { forceRefresh: true }))
    expect(fresh.token).not.toBe(token.token)
  })
})
