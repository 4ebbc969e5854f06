/**
 * Typed provider events, mirrored on `node:diagnostics_channel` (DESIGN.md, engine rule 12).
 * No event carries a token, a header value or any other secret: only scopes, codes and times.
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel'
import type { KeylessErrorCode } from '../errors/keyless-error.js'

/** Why a fetch started. */
export type FetchReason = 'miss' | 'refresh' | 'retry' | 'force' | 'claims'

/** Every event a provider emits, by name. */
export interface ProviderEvents {
  /** A usable cached token was returned (emitted only while someone listens). */
  hit: { scope: string }
  /** No usable token was cached; the caller waits for a fetch or fails fast. */
  miss: { scope: string }
  'refresh-start': { scope: string; reason: FetchReason }
  'refresh-success': { scope: string; expiresAt: number; refreshAt: number; durationMs: number }
  /** A fetch failed; `servingCachedToken` tells whether callers still get the previous token. */
  'refresh-failure': {
    scope: string
    code: KeylessErrorCode
    status: number | undefined
    failures: number
    retryAt: number
    servingCachedToken: boolean
  }
  /** One attempt failed and another follows after `delayMs`. */
  retry: { scope: string; attempt: number; delayMs: number; code: KeylessErrorCode; status: number | undefined }
  /** The first failure of a streak: without a usable token, callers now fail fast until `retryAt`. */
  'breaker-open': { scope: string; code: KeylessErrorCode }
  'breaker-close': { scope: string }
  evict: { scope: string }
}

/** The name of a provider event. */
export type ProviderEventName = keyof ProviderEvents

/** Listener of one event type. */
export type ProviderEventListener<K extends ProviderEventName> = (event: ProviderEvents[K]) => void

/** The prefix of the diagnostics channels: `keyless:hit`, `keyless:refresh-failure`, ... */
export const DIAGNOSTICS_CHANNEL_PREFIX = 'keyless:'

/** Every event a provider emits, each also published on `DIAGNOSTICS_CHANNEL_PREFIX + name`. */
export const PROVIDER_EVENT_NAMES: readonly ProviderEventName[] = Object.freeze([
  'hit',
  'miss',
  'refresh-start',
  'refresh-success',
  'refresh-failure',
  'retry',
  'breaker-open',
  'breaker-close',
  'evict',
])

/** The event side of a provider: subscribe, and tell cheaply whether anyone listens. */
export interface EventHub {
  on<K extends ProviderEventName>(type: K, listener: ProviderEventListener<K>): () => void
  emit<K extends ProviderEventName>(type: K, event: ProviderEvents[K]): void
  /**
   * A check bound to one event type: whether an event of it would reach anyone, so a path that
   * asks on every call (the hit path) can skip building it with no lookup by name.
   */
  watcher(type: ProviderEventName): () => boolean
}

/** One event type's subscribers: listeners and the diagnostics channel. */
interface Subscribers {
  readonly listeners: Set<(event: never) => void>
  readonly channel: diagnostics.Channel
}

/**
 * Makes the event hub of one provider. Listener errors are caught and dropped: an event can never
 * break a fetch or escape from a timer. Diagnostics messages carry `provider` besides the event.
 *
 * @example
 * ```ts
 * const events = createEventHub('imds')
 * const off = events.on('refresh-failure', (e) => log.warn(e))
 * ```
 */
export function createEventHub(provider: string): EventHub {
  const types = new Map<ProviderEventName, Subscribers>()
  const subscribersOf = (type: ProviderEventName): Subscribers => {
    let subscribers = types.get(type)
    if (subscribers === undefined) {
      // Made on first use, also for a name no event has (plain JS callers): it never fires.
      subscribers = { listeners: new Set(), channel: diagnostics.channel(DIAGNOSTICS_CHANNEL_PREFIX + type) }
      types.set(type, subscribers)
    }
    return subscribers
  }
  const watcher = (type: ProviderEventName): (() => boolean) => {
    const { listeners, channel } = subscribersOf(type)
    return () => listeners.size > 0 || channel.hasSubscribers
  }

  return {
    on(type, listener) {
      const { listeners } = subscribersOf(type)
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    emit(type, event) {
      const { listeners, channel } = subscribersOf(type)
      for (const listener of listeners) {
        try {
          ;(listener as ProviderEventListener<typeof type>)(event)
        } catch {
          // A listener's own failure is the listener's business; it must not become ours.
        }
      }
      if (channel.hasSubscribers) channel.publish({ provider, ...event })
    },
    watcher,
  }
}
