import { startEmulator, type Emulator, type FaultStep } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AppServiceOptions } from '../src/index.js'
import { DIALECTS, providerFor, type Dialect } from './dialects.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'

const VAULT = 'https://vault.azure.net/.default'
let emulator: Emulator
const providers: { close(): Promise<void> }[] = []

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

function provider(dialect: Dialect, options: AppServiceOptions = {}) {
  const p = providerFor(emulator, dialect, { random: () => 0.5, ...options })
  providers.push(p)
  return p
}

describe.each(DIALECTS)('appService(): retried faults ($apiVersion)', (dialect) => {
  it.each<[string, FaultStep]>([
    ['404', { status: 404 }],
    ['408', { status: 408 }],
    ['429 without Retry-After', { status: 429 }],
    ['429 with Retry-After', { status: 429, retryAfter: '3' }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['504', { status: 504 }],
    ['a connection reset', { kind: 'reset' }],
  ])('retries %s and then gets the token', async (_, step) => {
    emulator.faultsFor(dialect.endpoint).enqueue(step, step)
    const token = await settle(provider(dialect).getToken(VAULT))
    expect(token.tokenType).toBe('Bearer')
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBe(3)
  })

  it('waits at least the Retry-After of a 429', async () => {
    emulator.faultsFor(dialect.endpoint).enqueue({ status: 429, retryAfter: '7' })
    const p = provider(dialect)
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    await settle(p.getToken(VAULT))
    expect(delays).toEqual([7000])
  })

  it.each<[string, FaultStep, string]>([
    ['404', { status: 404 }, 'endpoint-unavailable'],
    ['408', { status: 408 }, 'endpoint-unavailable'],
    ['500', { status: 500 }, 'endpoint-unavailable'],
    ['503', { status: 503 }, 'endpoint-unavailable'],
    ['504', { status: 504 }, 'endpoint-unavailable'],
    ['429', { status: 429 }, 'throttled'],
    ['reset', { kind: 'reset' }, 'network'],
  ])('gives up on a persistent %s after 3 retries with code %s', async (_, step, code) => {
    emulator.faultsFor(dialect.endpoint).always(step)
    const p = provider(dialect)
    const attempts: number[] = []
    p.on('retry', (e) => attempts.push(e.attempt))
    await expect(settle(p.getToken(VAULT))).rejects.toMatchObject({ code, source: 'app-service' })
    expect(attempts).toEqual([1, 2, 3])
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBe(4)
  })
})

describe.each(DIALECTS)('appService(): faults that are not retried ($apiVersion)', (dialect) => {
  it.each<[string, FaultStep, string]>([
    ['a 400', { status: 400 }, 'rejected'],
    ['a 401', { status: 401 }, 'rejected'],
    ['a 403', { status: 403 }, 'rejected'],
    ['a 410', { status: 410 }, 'rejected'],
    ['a 502', { status: 502 }, 'endpoint-unavailable'],
    ['a non-JSON 200', { kind: 'non-json' }, 'bad-response'],
    ['an oversized 200', { kind: 'oversized' }, 'bad-response'],
    ['a 200 without access_token', { kind: 'no-access-token' }, 'bad-response'],
    ['a 200 whose expiry is in the past', { kind: 'expires-in-past' }, 'bad-response'],
  ])('fails at once on %s with %s', async (_, step, code) => {
    emulator.faultsFor(dialect.endpoint).enqueue(step)
    await expect(settle(provider(dialect).getToken(VAULT))).rejects.toMatchObject({ code, retryable: false, source: 'app-service' })
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})

describe.each(DIALECTS)('appService(): a silent endpoint ($apiVersion)', (dialect) => {
  it('cuts a hanging attempt at attemptTimeoutMs and retries', async () => {
    emulator.faultsFor(dialect.endpoint).enqueue({ kind: 'hang' })
    const p = provider(dialect, { attemptTimeoutMs: 2000 })
    const codes: string[] = []
    p.on('retry', (e) => codes.push(e.code))
    await expect(settle(p.getToken(VAULT))).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(codes).toEqual(['timeout'])
  })

  it('gives up with timeout after 4 hanging attempts', async () => {
    emulator.faultsFor(dialect.endpoint).always({ kind: 'hang' })
    const pending = provider(dialect, { attemptTimeoutMs: 2000 }).getToken(VAULT)
    await expect(settle(pending, { stepMs: 50 })).rejects.toMatchObject({ code: 'timeout', retryable: true })
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBe(4)
  })

  it('settles with deadline at deadlineMs when the endpoint never answers', async () => {
    emulator.faultsFor(dialect.endpoint).always({ kind: 'hang' })
    const start = Date.now()
    const pending = provider(dialect, { deadlineMs: 8000 }).getToken(VAULT)
    await expect(settle(pending, { stepMs: 50 })).rejects.toMatchObject({ code: 'deadline' })
    expect(Date.now() - start).toBeGreaterThanOrEqual(8000)
    expect(Date.now() - start).toBeLessThan(8200)
  })

  it('rejects only the aborted caller while others keep waiting for the shared request', async () => {
    emulator.faultsFor(dialect.endpoint).latencyMs(200)
    const p = provider(dialect)
    const controller = new AbortController()
    const a = p.getToken(VAULT, { signal: controller.signal })
    const b = p.getToken(VAULT)
    await emulator.waitForRequests(1)
    controller.abort()
    await expect(a).rejects.toMatchObject({ code: 'aborted' })
    vi.useRealTimers()
    await expect(b).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})
