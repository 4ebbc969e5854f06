/**
 * The tests of one column of the fault matrix: one test per row, named after its cell. Each test
 * drives two providers of the source against the emulator (real loopback sockets, the engine on
 * fake time): a cold caller that has no token when the fault starts, and a warm caller whose
 * cached token must still be served when its background refresh meets the fault.
 */
import type { AccessToken, KeylessTokenProvider, ProviderEvents } from '@keyless/core'
import type { FaultStep } from '@keyless/emulator'
import { settle as settleBy, useEngineFakeTimers } from '@keyless/test-support'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MatrixColumn, MatrixEndpoint } from './fault-columns.js'
import { FAULT_ROWS, testName, type Behaviour, type FaultRow } from './fault-rows.js'

const SCOPE = 'https://vault.azure.net/.default'
/** The engine's defaults the cells state: `attemptTimeoutMs` and the IMDS 410 window. */
const ATTEMPT_TIMEOUT_MS = 5000
const IMDS_410_WINDOW_MS = 70_000
const RETRY_AFTER_MS = 3000
/** Real-time budget of one cell, for a loaded CI machine; cells take well under a second alone. */
const CELL_TIMEOUT_MS = 30_000

function next<K extends 'refresh-failure' | 'refresh-success'>(provider: KeylessTokenProvider, type: K): Promise<ProviderEvents[K]> {
  return new Promise((resolve) => {
    const off = provider.on(type, (event) => {
      off()
      resolve(event)
    })
  })
}

/** Defines the tests of `column`, one per row of {@link FAULT_ROWS}. */
export function describeFaultMatrix(column: MatrixColumn): void {
  let endpoint: MatrixEndpoint
  const providers: KeylessTokenProvider[] = []

  beforeAll(async () => {
    endpoint = await column.open()
  })
  beforeEach(() => {
    useEngineFakeTimers()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(providers.splice(0).map((p) => p.close()))
    await endpoint.start() // a row that stopped the endpoint leaves it running again
    endpoint.emulator.reset()
  })
  afterAll(async () => {
    await endpoint.close()
  })

  /** Moves fake time in the column's steps until `promise` settles. */
  const settle = <T>(promise: Promise<T>): Promise<T> => settleBy(promise, { stepMs: column.settleStepMs })

  function provider(): KeylessTokenProvider {
    const p = endpoint.provider()
    providers.push(p)
    return p
  }

  async function warmProvider(): Promise<{ warm: KeylessTokenProvider; cached: AccessToken }> {
    const warm = provider()
    return { warm, cached: await settle(warm.getToken(SCOPE)) }
  }

  async function inject(row: FaultRow): Promise<void> {
    const { injection } = row
    if ('step' in injection) endpoint.emulator.faultsFor(column.endpoint).always(injection.step)
    else await endpoint.stop()
  }

  /**
   * Moves fake time to the warm caller's refresh point, which starts its background refresh, and
   * returns the refresh's failure event. Nothing else is pending then, so the jump skips nothing.
   */
  async function refreshWarm(
    warm: KeylessTokenProvider,
    cached: AccessToken,
  ): Promise<{ failure: Promise<ProviderEvents['refresh-failure'] | undefined> }> {
    // A refresh that succeeds despite the fault settles this too (as `undefined`), so the test fails at once.
    const failure = Promise.race([next(warm, 'refresh-failure'), next(warm, 'refresh-success').then(() => undefined)])
    await vi.advanceTimersByTimeAsync(Math.max(0, cached.refreshAt - Date.now()))
    return { failure }
  }

  /** The warm caller's refresh failed with `code`; callers keep getting the cached token, with no request. */
  async function expectCachedTokenServed(
    warm: KeylessTokenProvider,
    cached: AccessToken,
    failure: ProviderEvents['refresh-failure'] | undefined,
    code: string,
  ): Promise<void> {
    expect(failure).toMatchObject({ code, servingCachedToken: true })
    const requests = warm.stats().upstreamRequests
    expect((await warm.getToken(SCOPE)).token).toBe(cached.token)
    expect(warm.peekToken(SCOPE)?.token).toBe(cached.token)
    expect(warm.stats().upstreamRequests).toBe(requests)
  }

  async function failingCell(row: FaultRow, behaviour: Exclude<Behaviour, { kind: 'accepted' | 'recovers' }>): Promise<void> {
    const { warm, cached } = await warmProvider()
    await inject(row)
    // The warm refresh and the cold fetch meet the fault side by side, on the same fake clock.
    const warmFailure = await refreshWarm(warm, cached)

    const cold = provider()
    const retries: { delayMs: number; code: string }[] = []
    cold.on('retry', ({ delayMs, code }) => retries.push({ delayMs, code }))
    const startedAt = Date.now()
    const settled = cold.getToken(SCOPE).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    const [error, failure] = await settle(Promise.all([settled, warmFailure.failure]))
    const elapsed = Date.now() - startedAt
    const attempts = cold.stats().upstreamRequests
    const delays = retries.map((retry) => retry.delayMs)
    const code = behaviour.kind === 'cut' ? 'timeout' : behaviour.code
    expect(error).toMatchObject({ code, source: cold.name, retryable: behaviour.kind !== 'not-retried' })

    switch (behaviour.kind) {
      case 'retried':
        expect(attempts).toBe(column.facts.attempts)
        expect(delays).toEqual(column.backoffMs)
        break
      case 'retry-after':
        expect(attempts).toBe(column.facts.attempts)
        expect(delays).toEqual(column.backoffMs.map((ms) => Math.max(ms, RETRY_AFTER_MS)))
        break
      case 'cut': {
        expect(attempts).toBe(column.facts.attempts)
        expect(delays).toEqual(column.backoffMs)
        expect(retries.every((retry) => retry.code === 'timeout')).toBe(true)
        // Every attempt ran its full 5 s and no longer: the cut is the engine's, not the endpoint's.
        const expected = attempts * ATTEMPT_TIMEOUT_MS + delays.reduce((sum, ms) => sum + ms, 0)
        expect(elapsed).toBeGreaterThanOrEqual(expected)
        expect(elapsed).toBeLessThan(expected + 1000)
        break
      }
      case 'window':
        expect(error).toMatchObject({ status: 410 })
        // More attempts than the retry count allows, with the backoff growing as usual up to its
        // cap (not the first delay over and over: that asked IMDS about 47 times in 70 s).
        expect(attempts).toBeGreaterThan(column.facts.attempts)
        expect(delays.slice(0, column.backoffMs.length)).toEqual(column.backoffMs)
        expect(delays.slice(column.backoffMs.length).every((ms) => ms === column.backoffMs.at(-1))).toBe(true)
        expect(elapsed).toBeGreaterThanOrEqual(IMDS_410_WINDOW_MS)
        expect(elapsed).toBeLessThan(IMDS_410_WINDOW_MS + (column.backoffMs.at(-1) ?? 0) + 1000)
        break
      case 'not-retried':
        expect(attempts).toBe(1)
        expect(delays).toEqual([])
        break
    }

    await expectCachedTokenServed(warm, cached, failure, code)
    if ('step' in row.injection) expectEveryAttemptMetTheFault(row.injection.step, attempts)
  }

  /** The emulator applied the step to each of the cold caller's attempts; a body fault sent its 200 head first. */
  function expectEveryAttemptMetTheFault(step: FaultStep, attempts: number): void {
    const kind = step.kind ?? 'status'
    const faulted = endpoint.emulator.requests.filter((request) => request.endpoint === column.endpoint && request.fault === kind)
    expect(faulted.length).toBeGreaterThanOrEqual(attempts)
    if (kind === 'reset-mid-body' || kind === 'hang-mid-body' || kind === 'trickle') {
      expect(faulted.filter((request) => request.status === 200).length).toBeGreaterThanOrEqual(attempts)
    }
  }

  async function acceptedCell(row: FaultRow): Promise<void> {
    await inject(row)
    const p = provider()
    const token = await settle(p.getToken(SCOPE))
    expect(endpoint.emulator.requests.at(-1)).toMatchObject({ status: 200, fault: 'resource-mismatch' })
    expect(p.stats().upstreamRequests).toBe(1)
    // Cached under the scope asked for, not the echo: the next call is a hit (MSAL keys by the echo and misses).
    expect(await p.getToken(SCOPE)).toBe(token)
    expect(p.peekToken(SCOPE)).toBe(token)
    expect(p.stats().upstreamRequests).toBe(1)
  }

  async function restartCell(): Promise<void> {
    const { warm, cached } = await warmProvider()
    await endpoint.stop()

    // Warm: the refresh meets the closed port; the cached token is served meanwhile.
    const failure = await settle((await refreshWarm(warm, cached)).failure)
    await expectCachedTokenServed(warm, cached, failure, 'network')

    // Cold: the first attempt is refused; the endpoint is back before the retry, which gets the token.
    const cold = provider()
    const retries: { delayMs: number; code: string }[] = []
    const firstRetry = new Promise<void>((resolve) =>
      cold.on('retry', ({ delayMs, code }) => {
        retries.push({ delayMs, code })
        resolve()
      }),
    )
    const pending = cold.getToken(SCOPE)
    await settle(firstRetry)
    await endpoint.start()
    const token = await settle(pending)
    expect(token.tokenType).toBe('Bearer')
    expect(cold.stats().upstreamRequests).toBe(2)
    expect(retries).toEqual([{ delayMs: column.backoffMs[0], code: 'network' }])

    // Warm again: its background retry reaches the endpoint that is back and replaces the token.
    const success = next(warm, 'refresh-success')
    await settle(success)
    expect(warm.peekToken(SCOPE)?.expiresAt).toBeGreaterThan(cached.expiresAt)
  }

  describe(`${column.title}: fault matrix (${column.file})`, () => {
    for (const row of FAULT_ROWS) {
      const behaviour = row.expect[column.id]
      it(testName(row, behaviour, column.facts), async () => {
        if (behaviour.kind === 'accepted') await acceptedCell(row)
        else if (behaviour.kind === 'recovers') await restartCell()
        else await failingCell(row, behaviour)
      }, CELL_TIMEOUT_MS)
    }
  })

  describe(`${column.title}: long but believable lifetimes (${column.file})`, () => {
    it('accepts a token that lives 60 days and refreshes it at half-life, not at once', async () => {
      // Half of 60 days is past setTimeout's 24.8-day limit, which Node turns into 1 ms.
      endpoint.emulator.faultsFor(column.endpoint).enqueue({ kind: 'expires-far', lifetimeS: 60 * 86_400 })
      const p = provider()
      const starts: string[] = []
      p.on('refresh-start', ({ reason }) => starts.push(reason))
      const token = await settle(p.getToken(SCOPE))
      expect(token.expiresAt - Date.now()).toBeGreaterThan(59 * 86_400_000)
      expect(token.refreshAt - Date.now()).toBeGreaterThan(28 * 86_400_000)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(starts).toEqual(['miss'])
      await vi.advanceTimersByTimeAsync(token.refreshAt - Date.now() - 1000)
      expect(starts).toEqual(['miss'])
      expect(p.stats().upstreamRequests).toBe(1)
      await vi.advanceTimersByTimeAsync(1000)
      expect(starts).toEqual(['miss', 'refresh'])
    }, CELL_TIMEOUT_MS)
  })
}
