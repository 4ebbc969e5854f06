/**
 * The token engine: turns a source that makes one request into a provider that caches,
 * single-flights, refreshes in the background, retries, cools down, and never leaks a rejection
 * (DESIGN.md, "The token engine: normative semantics", rules 1–12). This file is its serving side:
 * the cache, hits, callers' waits, eviction and `close()`. Fetches, from launch to the token or the
 * breaker, and the timers that start them, are `create-flights.ts`.
 *
 * @module
 */
import { LRUCache } from 'lru-cache'
import { mayUseCachedToken } from '../cached-token-of.js'
import { KeylessError } from '../errors/keyless-error.js'
import { createEventHub, type ProviderEventListener, type ProviderEventName } from '../events/provider-events.js'
import { scopeToResource, validateScope } from '../scope/scope.js'
import type { TokenSource } from '../source/token-source.js'
import type { AccessToken, GetTokenOptions, TokenProvider } from '../token-provider.js'
import { untilAborted } from './abortable.js'
import { createCacheEntry, describeEntry, usableToken, type CachedToken, type CacheEntry, type Flight } from './cache-entry.js'
import { createFlights } from './create-flights.js'
import { providerCreations } from './creation-watch.js'
import { resolveProviderOptions, type TokenProviderOptions } from './provider-options.js'
import { zeroCounters, type ProviderStats, type ScopeStats } from './provider-stats.js'
import { clearUnrefTimeout } from './unref-timer.js'

/** A provider made by keyless: the {@link TokenProvider} contract plus events, stats and lifecycle. */
export interface KeylessTokenProvider extends TokenProvider {
  peekToken(scope: string): AccessToken | undefined
  /**
   * The cache-hit path of `getToken(scope)` alone: the settled promise of a usable cached token,
   * counted as a hit (so the token stays in use and goes on being refreshed), or `undefined`, with
   * no other effect, when `getToken` would have to fetch or fail. For integrations that set
   * something up per call only when the caller must wait (a disconnect signal, say): one lookup,
   * where `peekToken` then `getToken` take two.
   */
  cachedToken(scope: string): Promise<AccessToken> | undefined
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends ProviderEventName>(type: K, listener: ProviderEventListener<K>): () => void
  /** Counters and per-scope state, never a token. */
  stats(): ProviderStats
  /** The source and endpoint host this provider speaks to, never a secret. */
  describe(): string
  /** Stops timers, aborts fetches (their callers reject with `closed`), releases sockets. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** A hit updates the LRU's recency at most this often per entry: LRU order to within a second. */
const LRU_TOUCH_INTERVAL_MS = 1000
/** Spellings of one scope indexed for the hit path (`x/.default`, `x`, ...); more take the slow path. */
const MAX_ALIASES = 8

/**
 * Wraps a source in the token engine. Source packages call this; applications use `imds()`,
 * `appService()`, `workloadIdentity()` or `auto()`, which return its result.
 *
 * Options are checked at once (a `config` error is thrown synchronously). Background timers
 * (refresh, outage retry) are unref'd, so an idle provider never keeps a process alive. A fetch
 * that a caller waits for does, like a pending `fetch()`: its deadline timer is ref'd while at
 * least one caller waits (also a caller that joins a background refresh), so a script that awaits
 * `getToken()` through retry delays does not exit with the promise unsettled. `close()` releases
 * every timer and the source's sockets.
 *
 * @example
 * ```ts
 * const provider = createTokenProvider(mySource, { deadlineMs: 20_000 })
 * const { token } = await provider.getToken('https://storage.azure.com/.default')
 * ```
 */
export function createTokenProvider(source: TokenSource, options: TokenProviderOptions = {}): KeylessTokenProvider {
  const config = resolveProviderOptions(options, source.retryPolicy, source.kind)
  providerCreations.record(source.identity, Date.now())
  const name = source.kind
  const events = createEventHub(name)
  const hitWanted = events.watcher('hit')
  const counters = zeroCounters()
  // The hit index: scope as asked → the current token's record, one Map lookup per hit.
  // lru-cache owns the entries (keyed by resource) and decides eviction; an evicted entry's
  // records leave the index in `dispose`.
  const index = new Map<string, CachedToken>()
  const cache = new LRUCache<string, CacheEntry>({
    max: config.maxEntries,
    dispose: (entry) => {
      clearUnrefTimeout(entry.timer)
      entry.timer = undefined
      for (const alias of entry.aliases) if (index.get(alias)?.entry === entry) index.delete(alias)
      if (closed) return
      if (flights.isFetching(entry)) evictedInFlight.set(entry.resource, entry)
      counters.evictions++
      events.emit('evict', { scope: entry.scope })
    },
  })
  // Entries the LRU evicted while a fetch of theirs ran. Rule 3 and close() must still see that
  // fetch: the next caller for the key takes the entry back (and joins it) instead of starting a
  // second one, close() aborts it, stats() counts it. An entry leaves when its last fetch settles.
  const evictedInFlight = new Map<string, CacheEntry>()
  let closed = false
  const flights = createFlights({ source, config, name, events, counters, cache, index, evictedInFlight, isClosed: () => closed })

  const aborted = (reason: unknown): KeylessError =>
    new KeylessError('aborted', `${name}: the caller aborted its wait for a token`, { source: name, cause: reason })
  const closedError = (): KeylessError =>
    new KeylessError('closed', `${name}: the provider is closed; make a new one`, { source: name })

  function getToken(scope: string, options?: GetTokenOptions): Promise<AccessToken> {
    const hit = mayUseCachedToken(options) ? cachedToken(scope) : undefined
    return hit ?? acquire(scope, options)
  }

  /** Rule 1: the hit path is a map lookup and a clock compare, and returns a promise made earlier. */
  function cachedToken(scope: string): Promise<AccessToken> | undefined {
    const cached = index.get(scope)
    if (cached === undefined) return undefined
    const now = Date.now()
    // Written as "not before" so that a time that is not a number means "check", never "quiet".
    if (!(now < cached.quietUntil) && !checkHit(cached, now)) return undefined
    counters.hits++
    if (hitWanted()) events.emit('hit', { scope })
    return cached.settled
  }

  /**
   * A hit's full checks, run when its quiet period is over: whether the token is still usable;
   * marking it used; the LRU touch (at most once per second); a refresh past the refresh point
   * when no timer is left. Then the next quiet period.
   */
  function checkHit(cached: CachedToken, now: number): boolean {
    if (now >= cached.usableUntil) return false
    cached.used = true
    if (now - cached.touchedAt >= LRU_TOUCH_INTERVAL_MS) touch(cached, now)
    if (now >= cached.refreshAt) refreshIfIdle(cached.entry)
    cached.quietUntil = Math.min(cached.usableUntil, cached.refreshAt, cached.touchedAt + LRU_TOUCH_INTERVAL_MS)
    return true
  }

  async function acquire(scope: string, options: GetTokenOptions = {}): Promise<AccessToken> {
    if (closed) throw closedError()
    validateScope(scope, name)
    const { signal } = options
    if (signal?.aborted === true) throw aborted(signal.reason)
    const entry = entryFor(scope)
    const wait = (flight: Flight): Promise<AccessToken> => join(flight, signal)
    const now = Date.now()

    if (options.claims !== undefined) return wait(flights.claims(entry, options.claims))
    if (options.forceRefresh === true) {
      if (entry.flight !== undefined) return wait(entry.flight)
      const usable = usableToken(entry, now)
      if (usable !== undefined && now - entry.lastForcedAt < config.forceRefreshIntervalMs) {
        return usable.token // rate-limited: the last forced refresh is recent enough
      }
      if (usable === undefined && entry.lastError !== undefined && now < entry.retryAt) throw failFast(entry)
      entry.lastForcedAt = now
      return wait(flights.start(entry, 'force'))
    }
    const usable = usableToken(entry, now)
    if (usable !== undefined) {
      // A spelling not yet in the hit index, or one beyond MAX_ALIASES: a hit all the same.
      counters.hits++
      if (hitWanted()) events.emit('hit', { scope })
      usable.used = true
      touch(usable, now)
      return usable.token
    }
    counters.misses++
    events.emit('miss', { scope })
    // Rule 7: while the breaker is open and no token is usable, fail fast instead of queueing callers.
    if (entry.lastError !== undefined && (entry.flight !== undefined || now < entry.retryAt)) throw failFast(entry)
    if (entry.flight !== undefined) return wait(entry.flight)
    return wait(flights.start(entry, 'miss'))
  }

  /**
   * A caller's wait for a flight. While any caller waits, the flight's deadline timer is ref'd, so
   * the process stays alive until the fetch settles (it is cleared then) or every caller has aborted.
   */
  function join(flight: Flight, signal: AbortSignal | undefined): Promise<AccessToken> {
    if (flight.waiters++ === 0) flight.deadline.keepAlive(true)
    if (signal === undefined) return flight.promise // waits as long as the flight: never leaves early
    const waited = untilAborted(flight.promise, signal, aborted)
    const leave = (): void => {
      if (--flight.waiters === 0) flight.deadline.keepAlive(false)
    }
    waited.then(leave, leave)
    return waited
  }

  /** The cached entries and those evicted while fetching: every entry that holds a timer or a fetch. */
  function entriesWithState(): CacheEntry[] {
    return [...cache.values(), ...evictedInFlight.values()]
  }

  function entryFor(scope: string): CacheEntry {
    const indexed = index.get(scope)
    if (indexed !== undefined) return indexed.entry
    const resource = scopeToResource(scope)
    let entry = cache.get(resource)
    if (entry === undefined) {
      const evicted = evictedInFlight.get(resource)
      entry = evicted ?? createCacheEntry(scope, resource)
      cache.set(resource, entry)
      if (evicted !== undefined) takeBack(evicted)
    }
    if (!entry.aliases.includes(scope) && entry.aliases.length < MAX_ALIASES) {
      entry.aliases.push(scope)
      if (entry.current !== undefined) index.set(scope, entry.current)
    }
    return entry
  }

  /**
   * An entry evicted while fetching, back in the cache with its fetch and state. Eviction took its
   * aliases out of the hit index and cleared its timer; its running fetch may not set another (a
   * claims fetch, or one older than the cached claims token), so its token is refreshed as before:
   * at its refresh point, or during an outage at the end of the cool-down, before it expires.
   */
  function takeBack(entry: CacheEntry): void {
    evictedInFlight.delete(entry.resource)
    const { current } = entry
    if (current === undefined) return
    for (const alias of entry.aliases) index.set(alias, current)
    if (entry.lastError === undefined) flights.schedule(entry, current.refreshAt, 'refresh')
    else flights.schedule(entry, Math.min(entry.retryAt, current.usableUntil), 'retry')
  }

  function touch(cached: CachedToken, now: number): void {
    cached.touchedAt = now
    cache.get(cached.entry.resource) // moves the entry to the most recently used end
  }

  /** A token past its refresh point with no timer left (it was idle then): refresh in the background. */
  function refreshIfIdle(entry: CacheEntry): void {
    if (entry.flight === undefined && entry.timer === undefined) flights.start(entry, 'refresh')
  }

  function failFast(entry: CacheEntry): KeylessError {
    const last = entry.lastError as KeylessError
    const retryAt = new Date(entry.retryAt).toISOString()
    return new KeylessError(last.code, `${name}: no usable token for ${entry.scope}; the last fetch failed, next attempt allowed at ${retryAt}`, {
      source: name,
      ...(last.status === undefined ? {} : { status: last.status }),
      retryable: last.retryable,
      cause: last,
    })
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    const running: Promise<unknown>[] = []
    for (const entry of entriesWithState()) {
      clearUnrefTimeout(entry.timer)
      for (const flight of [entry.flight, ...entry.claimFlights.values()]) {
        if (flight === undefined) continue
        flight.controller.abort(closedError())
        running.push(flight.promise)
      }
    }
    cache.clear()
    evictedInFlight.clear()
    index.clear()
    await Promise.allSettled(running) // their timers are cleared once they settle
    await source.close?.()
  }

  return {
    name,
    getToken,
    cachedToken,
    peekToken(scope) {
      const now = Date.now()
      const cached = index.get(scope)
      if (cached !== undefined) return now < cached.usableUntil ? cached.token : undefined
      // A spelling no caller has used yet (`x` for `x/.default`): same entry, found by resource.
      if (typeof scope !== 'string' || scope === '') return undefined
      const entry = cache.peek(scopeToResource(scope))
      return entry === undefined ? undefined : usableToken(entry, now)?.token
    },
    on: events.on,
    stats() {
      const now = Date.now()
      let inflight = 0
      const scopes: ScopeStats[] = []
      for (const entry of cache.values()) scopes.push(describeEntry(entry, now))
      for (const entry of entriesWithState()) inflight += (entry.flight === undefined ? 0 : 1) + entry.claimFlights.size
      return { identity: source.identity, ...counters, inflight, scopes }
    },
    describe: () => source.describe(),
    close,
    [Symbol.asyncDispose]: close,
  }
}
