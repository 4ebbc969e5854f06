import { startEmulator, type Emulator, type FaultStep } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { imds, type ImdsOptions } from '../src/index.js'
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

function provider(options: ImdsOptions = {}) {
  const p = imds({ endpoint: emulator.url, random: () => 0.5, ...options })
  providers.push(p)
  return p
}

describe('imds(): retried faults', () => {
  it.each<[string, FaultStep]>([
    ['404 (IMDS updating)', { status: 404 }],
    ['408', { status: 408 }],
    ['410 (IMDS updating)', { status: 410 }],
    ['429 without Retry-After', { status: 429 }],
    ['429 with Retry-After', { status: 429, retryAfter: '3' }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['504', { status: 504 }],
    ['a connection reset', { kind: 'reset' }],
  ])('retries %s and then gets the token', async (_, step) => {
    emulator.faults.enqueue(step, step)
    const token = await settle(provider().getToken(VAULT))
    expect(token.tokenType).toBe('Bearer')
    expect(emulator.counters.tokenRequests).toBe(3)
  })

  it('waits at least the Retry-After of a 429', async () => {
    emulator.faults.enqueue({ status: 429, retryAfter: '7' })
    const p = provider()
    const delays: number[] = []
    p.on('retry', (e) => delays.push(e.delayMs))
    await settle(p.getToken(VAULT))
    expect(delays).toEqual([7000])
  })

  it.each<[string, FaultStep, string]>([
    ['500', { status: 500 }, 'endpoint-unavailable'],
    ['503', { status: 503 }, 'endpoint-unavailable'],
    ['404', { status: 404 }, 'endpoint-unavailable'],
    ['429', { status: 429 }, 'throttled'],
    ['a reset', { kind: 'reset' }, 'network'],
  ])('gives up on a persistent %s after 5 retries with code %s', async (_, step, code) => {
    emulator.faults.always(step)
    const pending = provider().getToken(VAULT)
    await expect(settle(pending)).rejects.toMatchObject({ code, source: 'imds' })
    expect(emulator.counters.tokenRequests).toBe(6)
  })

  it('keeps retrying a 410 for its 70 s window, then gives up', async () => {
    emulator.faults.always({ status: 410 })
    const start = Date.now()
    const pending = provider().getToken(VAULT)
    await expect(settle(pending)).rejects.toMatchObject({ code: 'endpoint-unavailable', status: 410 })
    expect(Date.now() - start).toBeGreaterThanOrEqual(70_000)
    expect(emulator.counters.tokenRequests).toBeGreaterThan(6)
  })
})

describe('imds(): faults that are not retried', () => {
  it.each<[string, FaultStep, string]>([
    ['a 400', { status: 400 }, 'rejected'],
    ['a 403', { status: 403 }, 'rejected'],
    ['a non-JSON 200', { kind: 'non-json' }, 'bad-response'],
    ['an oversized 200', { kind: 'oversized' }, 'bad-response'],
    ['a 200 without access_token', { kind: 'no-access-token' }, 'bad-response'],
    ['a 200 whose expiry is in the past', { kind: 'expires-in-past' }, 'bad-response'],
  ])('fails at once on %s with %s', async (_, step, code) => {
    emulator.faults.enqueue(step)
    await expect(settle(provider().getToken(VAULT))).rejects.toMatchObject({ code, retryable: false })
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})

describe('imds(): a silent endpoint', () => {
  it('cuts a hanging attempt at attemptTimeoutMs and retries', async () => {
    emulator.faults.enqueue({ kind: 'hang' })
    const p = provider({ attemptTimeoutMs: 2000 })
    const codes: string[] = []
    p.on('retry', (e) => codes.push(e.code))
    await expect(settle(p.getToken(VAULT))).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(codes).toEqual(['timeout'])
  })

  it('settles with deadline at deadlineMs when the endpoint never answers', async () => {
    emulator.faults.always({ kind: 'hang' })
    const start = Date.now()
    const pending = provider({ deadlineMs: 8000 }).getToken(VAULT)
    await expect(settle(pending, { stepMs: 50 })).rejects.toMatchObject({ code: 'deadline' })
    expect(Date.now() - start).toBeGreaterThanOrEqual(8000)
    expect(Date.now() - start).toBeLessThan(8200)
  })

  it('rejects only the aborted caller while others keep waiting for the shared request', async () => {
    emulator.faults.latencyMs(200)
    const p = provider()
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
