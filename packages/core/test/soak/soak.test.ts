import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_SOAK_SEED, fullGc, seededRandom, testSize } from '@keyless/test-support'
import { createTokenProvider, type KeylessTokenProvider } from '../../src/engine/create-token-provider.js'
import { DEFAULT_EXPIRY_MARGIN_MS } from '../../src/engine/provider-options.js'
import { isKeylessError, type KeylessErrorCode } from '../../src/errors/keyless-error.js'
import { scopeToResource } from '../../src/scope/scope.js'
import type { AccessToken } from '../../src/token-provider.js'
import { HOUR, TEST_POLICY } from '../engine/fake-source.js'
import { MAX_LATENCY_MS, soakSource, type LifetimeProfile, type SoakSource } from './soak-source.js'

const MINUTE = 60_000
const DAY = 24 * HOUR
const fixed = (ms: number, refreshIn = false): LifetimeProfile => ({ lifetimeMs: () => ms, minLifetimeMs: ms, refreshIn })

/** Token lifetimes from 5 min to 24 h, one scope of them drawn at random per token, one with `refresh_in`. */
const PROFILES = new Map<string, LifetimeProfile>([
  ['https://vault.azure.net', fixed(5 * MINUTE)],
  ['https://storage.azure.com', fixed(HOUR)],
  ['https://management.azure.com/', fixed(24 * HOUR)],
  ['https://servicebus.azure.net', fixed(8 * HOUR, true)],
  ['https://graph.microsoft.com', { lifetimeMs: (random) => Math.round(5 * MINUTE + random() * (24 * HOUR - 5 * MINUTE)), minLifetimeMs: 5 * MINUTE, refreshIn: false }],
])
/** The spellings callers use: both forms of one resource map to one cache entry. */
const SCOPES = [
  'https://vault.azure.net/.default',
  'https://vault.azure.net',
  'https://storage.azure.com/.default',
  'https://management.azure.com/',
  'https://servicebus.azure.net/.default',
  'https://graph.microsoft.com/.default',
]
const IDENTITIES = ['system', 'user-a', 'user-b']
/** Every code a caller may see while a fetch fails (the injected failures, and the deadline). */
const EXPECTED_CODES = new Set<KeylessErrorCode>(['endpoint-unavailable', 'throttled', 'network', 'timeout', 'rejected', 'bad-response', 'deadline'])
/**
 * Timers one cache entry may hold at once: its refresh or retry timer, and for a running fetch the
 * deadline, the attempt timeout, a retry delay or the source's answer, plus late answers of
 * attempts already timed out (at most one per attempt of the fetch).
 */
const TIMERS_PER_ENTRY = 1 + 3 + (TEST_POLICY.retries + 1)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe(`soak: ${testSize().soakDays} simulated days, ${IDENTITIES.length} identities × ${PROFILES.size} scopes, 20 % of requests failing`, () => {
  it('never returns an expired or foreign token, leaks nothing, and stays within the refresh bound', { timeout: 600_000 }, async () => {
    const { soakDays, seed = DEFAULT_SOAK_SEED } = testSize()
    const random = seededRandom(seed)
    const violations: string[] = []
    const escaped: unknown[] = []
    const onEscape = (error: unknown): void => {
      escaped.push(error)
    }
    process.on('unhandledRejection', onEscape)
    process.on('uncaughtException', onEscape)
    const startedAt = Date.now()

    // The refresh rule, token by token: a fetch for a key starts no earlier than 0.45 of the last
    // token's lifetime after it arrived, unless a caller forced a refresh since (rules 4, 10).
    const lastMint = new Map<string, { at: number; lifetimeMs: number }>()
    const lastForced = new Map<string, number>()
    let minGapRatio = Number.POSITIVE_INFINITY
    const onMint = (p: number) => (resource: string, at: number, lifetimeMs: number) => {
      const key = `${p}|${resource}`
      const last = lastMint.get(key)
      if (last !== undefined && (lastForced.get(key) ?? Number.NEGATIVE_INFINITY) < last.at) {
        const ratio = (at - last.at) / last.lifetimeMs
        minGapRatio = Math.min(minGapRatio, ratio)
        if (at - last.at < 0.45 * last.lifetimeMs - 1) violations.push(`${key}: a token ${at - last.at} ms after the last, whose lifetime is ${last.lifetimeMs} ms`)
      }
      lastMint.set(key, { at, lifetimeMs })
    }
    const sources: SoakSource[] = IDENTITIES.map((identity, i) => soakSource(identity, PROFILES, seededRandom(seed + 1 + i), onMint(i)))
    const providers: KeylessTokenProvider[] = sources.map((source, i) => createTokenProvider(source, { random: seededRandom(seed + 100 + i) }))
    const errorCodes = new Map<string, number>()
    const forcedCalls = new Map<string, number>()
    let served = 0
    let calls = 0
    let peeks = 0
    let maxTimers = 0
    let maxEntries = 0
    let settledCalls = 0

    /** A returned token must be for this identity and resource, and usable now (rule 6). */
    const check = (token: AccessToken, p: number, scope: string, how: string): void => {
      const [tag, identity, resource, , expiresAt] = token.token.split('|')
      const now = Date.now()
      if (tag !== 'soak' || identity !== IDENTITIES[p] || resource !== scopeToResource(scope)) {
        violations.push(`${how}: identity ${p} asked ${scope} and got a token for ${identity} ${resource}`)
      } else if (Number(expiresAt) !== token.expiresAt) {
        violations.push(`${how}: expiresAt ${token.expiresAt} differs from the minted ${expiresAt}`)
      } else if (!(now < token.expiresAt - DEFAULT_EXPIRY_MARGIN_MS)) {
        violations.push(`${how}: at ${now - startedAt} ms a token expiring at ${token.expiresAt - startedAt} ms (margin ${DEFAULT_EXPIRY_MARGIN_MS})`)
      }
    }
    const call = (p: number, scope: string, forceRefresh: boolean): void => {
      calls++
      const provider = providers[p] as KeylessTokenProvider
      if (forceRefresh) {
        const key = `${p}|${scopeToResource(scope)}`
        forcedCalls.set(key, (forcedCalls.get(key) ?? 0) + 1)
        lastForced.set(key, Date.now())
      }
      provider.getToken(scope, forceRefresh ? { forceRefresh } : undefined).then(
        (token) => {
          settledCalls++
          served++
          check(token, p, scope, forceRefresh ? 'forceRefresh' : 'getToken')
        },
        (error: unknown) => {
          settledCalls++
          const code = isKeylessError(error) ? error.code : `not a KeylessError: ${String(error)}`
          errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1)
          if (!isKeylessError(error) || !EXPECTED_CODES.has(error.code)) violations.push(`a caller got ${code}`)
        },
      )
    }
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T

    const heapByDay: number[] = []
    for (let day = 1; day <= soakDays; day++) {
      while (Date.now() - startedAt < day * DAY) {
        // Concurrent callers: a few per step, now and then a burst on one scope.
        const p = Math.floor(random() * providers.length)
        if (random() < 0.02) {
          const scope = pick(SCOPES)
          for (let i = 0; i < 20; i++) call(p, scope, false)
        }
        const callers = Math.floor(random() * 4)
        for (let i = 0; i < callers; i++) call(Math.floor(random() * providers.length), pick(SCOPES), random() < 0.01)
        const scope = pick(SCOPES)
        const peekedToken = providers[p]?.peekToken(scope)
        if (peekedToken !== undefined) {
          peeks++
          check(peekedToken, p, scope, 'peekToken')
        }
        await vi.advanceTimersByTimeAsync(Math.round(5000 + random() * 115_000))
        const entries = providers.reduce((sum, provider) => sum + provider.stats().scopes.length, 0)
        maxEntries = Math.max(maxEntries, entries)
        maxTimers = Math.max(maxTimers, vi.getTimerCount())
      }
      fullGc()
      heapByDay.push(process.memoryUsage().heapUsed)
    }

    // Bounded state: one entry per resource, and a handful of timers per entry.
    expect(maxEntries).toBeLessThanOrEqual(IDENTITIES.length * PROFILES.size)
    expect(maxTimers).toBeLessThanOrEqual(IDENTITIES.length * PROFILES.size * TIMERS_PER_ENTRY)

    // The refresh bound (docs/reliability.md, "Soak"): per entry, successful fetches ≤
    // ⌊T / (0.45 · (Lmin − latency))⌋ + 1 + forced calls; every other request is an injected failure.
    const elapsed = Date.now() - startedAt
    let mintedTotal = 0
    let boundTotal = 0
    let requestsTotal = 0
    let injectedTotal = 0
    sources.forEach((source, p) => {
      for (const [resource, profile] of PROFILES) {
        const counts = source.counts.get(resource) ?? { requests: 0, injectedFailures: 0, minted: 0 }
        const gap = 0.45 * (profile.minLifetimeMs - MAX_LATENCY_MS)
        const bound = Math.floor(elapsed / gap) + 1 + (forcedCalls.get(`${p}|${resource}`) ?? 0)
        const successes = counts.requests - counts.injectedFailures
        if (successes > bound) violations.push(`${IDENTITIES[p]} ${resource}: ${successes} successful fetches > bound ${bound}`)
        mintedTotal += successes
        boundTotal += bound
        requestsTotal += counts.requests
        injectedTotal += counts.injectedFailures
      }
    })
    for (const [p, provider] of providers.entries()) {
      const stats = provider.stats()
      const sourceRequests = [...(sources[p] as SoakSource).counts.values()].reduce((sum, c) => sum + c.requests, 0)
      expect(stats.upstreamRequests).toBe(sourceRequests)
      // Each fetch sends at most retries + 1 requests.
      expect(stats.upstreamRequests).toBeLessThanOrEqual((TEST_POLICY.retries + 1) * (stats.refreshes + stats.refreshFailures + stats.inflight))
    }

    // The endpoint comes back: after the longest cool-down every scope of every identity is served.
    for (const source of sources) source.failureRate = 0
    await vi.advanceTimersByTimeAsync(5 * MINUTE + MINUTE)
    for (const [p, provider] of providers.entries()) {
      for (const scope of SCOPES) {
        const pending = provider.getToken(scope)
        await vi.advanceTimersByTimeAsync(MAX_LATENCY_MS)
        check(await pending, p, scope, 'after the outage')
      }
    }

    // Closed providers leave no timer once the late answers still on the way have landed.
    await Promise.all(providers.map((provider) => provider.close()))
    await vi.advanceTimersByTimeAsync(20_000)
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
    await new Promise((resolve) => setImmediate(resolve))
    process.off('unhandledRejection', onEscape)
    process.off('uncaughtException', onEscape)

    const heapGrowth = (heapByDay.at(-1) as number) - (heapByDay[0] as number)
    console.log(
      `soak: ${soakDays} days, seed ${seed}: ${calls} calls (${settledCalls} settled, ${served} served, errors ${JSON.stringify(Object.fromEntries(errorCodes))}), ` +
        `${peeks} peeks; least gap between two fetched tokens ${minGapRatio.toFixed(3)} of the lifetime; upstream ${requestsTotal} requests (${injectedTotal} injected failures, ${mintedTotal} successful fetches, bound ${boundTotal}); ` +
        `max ${maxTimers} timers, ${maxEntries} entries; heap after gc day 1 ${(heapByDay[0] as number) / 1e6} MB, day ${soakDays} ${(heapByDay.at(-1) as number) / 1e6} MB, growth ${heapGrowth / 1e6} MB`,
    )
    expect(violations).toEqual([])
    expect(escaped).toEqual([])
    expect(settledCalls).toBe(calls)
    expect(served).toBeGreaterThan(calls * 0.9)
    // Heap stable: what one day leaves behind after gc does not pile up over the week (keeping one
    // record per fetch would add about 2 MB by day 7).
    expect(heapGrowth).toBeLessThan(1024 * 1024)
  })
})
