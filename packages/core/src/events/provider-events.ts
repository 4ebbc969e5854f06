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
  /** Whether an event of this type would reach anyone; lets the hot path skip building it. */
  wanted(type: ProviderEventName): boolean
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
  const listeners = new Map<ProviderEventName, Set<(event: never) => void>>()
  const channels = new Map(PROVIDER_EVENT_NAMES.map((name) => [name, diagnostics.channel(DIAGNOSTICS_CHANNEL_PREFIX + name)]))

  return {
    on(type, listener) {
      let set = listeners.get(type)
      if (set === undefined) listeners.set(type, (set = new Set()))
      set.add(listener)
      return () => {
        set.delete(listener)
      }
    },
    emit(type, event) {
      const set = listeners.get(type)
      if (set !== undefined) {
        for (const listener of set) {
          try {
            ;(listener as ProviderEventListener<typeof type>)(event)
          } catch {
            // A listener's own failure is the listener's business; it must not become ours.
          }
        }
      }
      const channel = channels.get(type)
      if (channel?.hasSubscribers === true) channel.publish({ provider, ...event })
    },
    wanted(type) {
      return (listeners.get(type)?.size ?? 0) > 0 || channels.get(type)?.hasSubscribers === true
    },
  }
}
