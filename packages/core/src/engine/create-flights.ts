/**
 * The fetch side of the token engine: how a fetch starts, runs its attempts under a deadline,
 * lands its token in the cache, records a failure in the breaker, and when the next one is
 * scheduled (DESIGN.md rules 3–8 and 11). The serving side, hits and callers' waits, is
 * `create-token-provider.ts`; both work on the same entries.
 *
 * @module
 */
import type { LRUCache } from 'lru-cache'
import { createAccessToken } from '../access-token.js'
import { isKeylessError, KeylessError } from '../errors/keyless-error.js'
import type { EventHub, FetchReason } from '../events/provider-events.js'
import type { TokenSource } from '../source/token-source.js'
import type { AccessToken } from '../token-provider.js'
import { abortAfter, linkSignals, untilAborted, type TimedSignal } from './abortable.js'
import { coolDownDelay } from './backoff.js'
import { usableToken, type CachedToken, type CacheEntry, type Flight } from './cache-entry.js'
import type { ResolvedProviderOptions } from './provider-options.js'
import type { Counters } from './provider-stats.js'
import { refreshAt as computeRefreshAt } from './refresh-at.js'
import { retryLoop } from './retry-loop.js'
import { clearUnrefTimeout, MAX_TIMER_DELAY_MS, unrefTimeout } from './unref-timer.js'

/** The provider's state that fetches read and update; the provider owns every piece. */
export interface FlightContext {
  readonly source: TokenSource
  readonly config: ResolvedProviderOptions
  /** The source's kind: every error's `source` and the start of its message. */
  readonly name: string
  readonly events: EventHub
  readonly counters: Counters
  /** The entries, keyed by resource; an entry not in it (evicted) gets no timer. */
  readonly cache: LRUCache<string, CacheEntry>
  /** The hit index: scope as asked → the current token's record. */
  readonly index: Map<string, CachedToken>
  /** Entries the LRU evicted while a fetch of theirs ran; one leaves when its last fetch settles. */
  readonly evictedInFlight: Map<string, CacheEntry>
  readonly isClosed: () => boolean
}

/** What the serving side asks of the fetch side. */
export interface Flights {
  /** Starts the entry's plain fetch (the caller checked that none runs) and clears its timer. */
  start(entry: CacheEntry, reason: Exclude<FetchReason, 'claims'>): Flight
  /** The fetch for `claims`: the one running for the same claims, or a new one. */
  claims(entry: CacheEntry, claims: string): Flight
  /** Sets the entry's one timer: a refresh, or a retry during an outage, at `at` (epoch ms). */
  schedule(entry: CacheEntry, at: number, reason: 'refresh' | 'retry'): void
  /** Whether any fetch of the entry runs, plain or claims. */
  isFetching(entry: CacheEntry): boolean
}

const noop = (): void => {}

/**
 * Makes the fetch side of one provider over its state.
 *
 * @example
 * ```ts
 * const flights = createFlights({ source, config, name, events, counters, cache, index, evictedInFlight, isClosed: () => closed })
 * const flight = flights.start(entry, 'miss')
 * ```
 */
export function createFlights(context: FlightContext): Flights {
  const { source, config, name, events, counters, cache, index, evictedInFlight, isClosed } = context
  // Numbers each fetch in launch order, so that a claims token is not replaced by an older fetch.
  let launches = 0

  function isFetching(entry: CacheEntry): boolean {
    return entry.flight !== undefined || entry.claimFlights.size > 0
  }

  function start(entry: CacheEntry, reason: Exclude<FetchReason, 'claims'>): Flight {
    clearUnrefTimeout(entry.timer)
    entry.timer = undefined
    const flight = launch(entry, reason, undefined, () => {
      if (entry.flight === flight) entry.flight = undefined
    })
    entry.flight = flight
    return flight
  }

  function claims(entry: CacheEntry, claimsString: string): Flight {
    const running = entry.claimFlights.get(claimsString)
    if (running !== undefined) return running
    const flight = launch(entry, 'claims', claimsString, () => {
      if (entry.claimFlights.get(claimsString) === flight) entry.claimFlights.delete(claimsString)
    })
    entry.claimFlights.set(claimsString, flight)
    return flight
  }

  /** Starts one fetch; `settled` detaches it from its entry once it is over. */
  function launch(entry: CacheEntry, reason: FetchReason, claimsString: string | undefined, settled: () => void): Flight {
    const controller = new AbortController()
    const deadline = abortAfter(config.deadlineMs, () =>
      new KeylessError('deadline', `${name}: no token within ${config.deadlineMs} ms (deadlineMs); the endpoint is slow or silent`, { source: name }),
    )
    const promise = fetchToken(entry, reason, claimsString, ++launches, controller.signal, deadline).finally(() => {
      settled()
      if (!isFetching(entry) && evictedInFlight.get(entry.resource) === entry) evictedInFlight.delete(entry.resource)
    })
    promise.catch(noop) // Rule 11: a background flight has nobody awaiting it; failures are events.
    return { promise, controller, deadline, waiters: 0 }
  }

  async function fetchToken(
    entry: CacheEntry,
    reason: FetchReason,
    claimsString: string | undefined,
    launch: number,
    closeSignal: AbortSignal,
    deadline: TimedSignal,
  ): Promise<AccessToken> {
    const startedAt = Date.now()
    events.emit('refresh-start', { scope: entry.scope, reason })
    const linked = linkSignals([closeSignal, deadline.signal])
    const { signal } = linked
    try {
      const fetched = await untilAborted(
        retryLoop(() => attempt(entry, claimsString, signal), {
          policy: config.retry,
          signal,
          source: name,
          random: config.random,
          onRetry: ({ attempt: number, delayMs, error }) => {
            counters.retries++
            events.emit('retry', { scope: entry.scope, attempt: number, delayMs, code: error.code, status: error.status })
          },
        }),
        signal,
        (why) => why,
      )
      const now = Date.now()
      const lifetime = fetched.expiresAt - now
      const usableUntil = fetched.expiresAt - Math.min(config.expiryMarginMs, lifetime / 2)
      // Rule 6: a token that is not usable on arrival (a clock skewed against the endpoint's, a
      // custom source's bug) is never returned, not even once: the fetch fails like any bad answer.
      // Written as "not before" so that an expiry that is not a number fails too.
      if (!(now < usableUntil)) throw expiredOnArrival()
      const at = computeRefreshAt(now, fetched, { jitterRatio: config.refreshJitterRatio, latestAt: usableUntil, random: config.random })
      const token = createAccessToken(fetched.token, fetched.expiresAt, at)
      counters.refreshes++
      // A fetch launched before the cached claims token's own fetch got a token issued before that
      // challenge: its callers get it, the cache keeps the claims token.
      if (launch > entry.claimsLaunch) {
        if (reason === 'claims') entry.claimsLaunch = launch
        applyToken(entry, token, usableUntil, reason)
      }
      events.emit('refresh-success', { scope: entry.scope, expiresAt: token.expiresAt, refreshAt: at, durationMs: now - startedAt })
      return token
    } catch (error: unknown) {
      throw recordFailure(entry, error, reason, launch)
    } finally {
      deadline.clear()
      linked.dispose()
    }
  }

  async function attempt(entry: CacheEntry, claimsString: string | undefined, signal: AbortSignal) {
    const timeout = abortAfter(config.attemptTimeoutMs, () =>
      new KeylessError('timeout', `${name}: no response within ${config.attemptTimeoutMs} ms (attemptTimeoutMs)`, { source: name, retryable: true }),
    )
    const linked = linkSignals([signal, timeout.signal])
    const attemptSignal = linked.signal
    counters.upstreamRequests++
    try {
      const request = { scope: entry.scope, resource: entry.resource, claims: claimsString, signal: attemptSignal }
      // Raced against the signal so a source that ignores it still cannot hang the engine.
      return await untilAborted(source.fetchToken(request), attemptSignal, (why) => why)
    } finally {
      timeout.clear()
      linked.dispose()
    }
  }

  function applyToken(entry: CacheEntry, token: AccessToken, usableUntil: number, reason: FetchReason): void {
    const cached: CachedToken = {
      settled: Promise.resolve(token),
      quietUntil: 0, // the first hit runs the full checks
      usableUntil,
      refreshAt: token.refreshAt,
      // A fetch some caller waited for is in use; a background refresh is in use once a hit says so.
      used: reason === 'miss' || reason === 'force' || reason === 'claims',
      touchedAt: 0,
      token,
      entry,
    }
    entry.current = cached
    if (cache.peek(entry.resource) === entry) for (const alias of entry.aliases) index.set(alias, cached)
    if (entry.lastError !== undefined) {
      entry.lastError = undefined
      entry.failures = 0
      events.emit('breaker-close', { scope: entry.scope })
    }
    schedule(entry, token.refreshAt, 'refresh')
  }

  /**
   * Ends a failed fetch: every `refresh-start` is paired with one `refresh-success` or one
   * `refresh-failure`, and `refreshFailures` counts the latter. Three failures leave the breaker as
   * it is: a claims challenge's (it says nothing about the cached token, which stays served and
   * refreshed), one of a fetch launched before the cached claims token's (likewise), and a fetch
   * that `close()` aborted.
   */
  function recordFailure(entry: CacheEntry, error: unknown, reason: FetchReason, launch: number): KeylessError {
    const failure = isKeylessError(error)
      ? error
      : new KeylessError('network', `${name}: the fetch failed unexpectedly`, { source: name, cause: error })
    const now = Date.now()
    const closed = isClosed()
    counters.refreshFailures++
    // Neither a claims failure nor one older than the cached claims token says anything about that token.
    const breaker = !(reason === 'claims' || launch < entry.claimsLaunch || failure.code === 'closed' || closed)
    if (breaker) {
      entry.failures++
      entry.lastError = failure
      entry.retryAt = now + coolDownDelay(entry.failures, { baseMs: config.coolDownMs, capMs: config.maxCoolDownMs, random: config.random })
    }
    const usable = closed ? undefined : usableToken(entry, now)
    events.emit('refresh-failure', {
      scope: entry.scope,
      code: failure.code,
      status: failure.status,
      failures: entry.failures,
      retryAt: entry.lastError === undefined ? now : entry.retryAt,
      servingCachedToken: usable !== undefined,
    })
    if (!breaker) return failure
    if (entry.failures === 1) events.emit('breaker-open', { scope: entry.scope, code: failure.code })
    // Rule 7: keep serving the token and retry in the background, early enough to land before expiry.
    if (usable !== undefined) {
      const beforeExpiry = now + Math.max(config.coolDownMs, (usable.usableUntil - now) / 2)
      schedule(entry, Math.min(entry.retryAt, beforeExpiry), 'retry')
    }
    return failure
  }

  function schedule(entry: CacheEntry, at: number, reason: 'refresh' | 'retry'): void {
    clearUnrefTimeout(entry.timer)
    entry.timer = undefined
    if (isClosed() || cache.peek(entry.resource) !== entry) return // evicted meanwhile: let it go
    const delayMs = Math.max(0, at - Date.now())
    entry.timer = unrefTimeout(() => {
      entry.timer = undefined
      // Beyond setTimeout's range (a token of more than ~50 days refreshes at half-life): hop there.
      if (delayMs > MAX_TIMER_DELAY_MS) return schedule(entry, at, reason)
      if (isClosed() || entry.flight !== undefined) return
      // Rule 5: refresh tokens in use even when no call arrives; let unused ones lapse.
      if (reason === 'refresh' && entry.current?.used !== true) return
      start(entry, reason)
    }, delayMs) // unrefTimeout holds it to MAX_TIMER_DELAY_MS; the hop above covers the rest
  }

  function expiredOnArrival(): KeylessError {
    return new KeylessError('bad-response', `${name}: the endpoint returned a token that is already expired; check this machine's clock`, {
      source: name,
      retryable: false,
    })
  }

  return { start, claims, schedule, isFetching }
}
