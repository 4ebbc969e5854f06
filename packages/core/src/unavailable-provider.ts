/**
 * The provider a source factory returns when its source does not exist in this environment.
 *
 * @module
 */
import { KeylessError } from './errors/keyless-error.js'
import type { KeylessTokenProvider } from './engine/create-token-provider.js'
import type { ProviderStats } from './engine/provider-stats.js'

/**
 * Makes a provider whose every `getToken` rejects with `unavailable`, with no I/O, no timer and no
 * socket. Factories return it when their environment variables are absent, so construction never
 * fails for an absent source and `chain()` moves on to the next provider.
 *
 * @example
 * ```ts
 * if (process.env.IDENTITY_ENDPOINT === undefined) {
 *   return unavailableProvider('app-service', 'IDENTITY_ENDPOINT and MSI_ENDPOINT are not set')
 * }
 * ```
 */
export function unavailableProvider(name: string, why: string): KeylessTokenProvider {
  const error = (): KeylessError =>
    new KeylessError('unavailable', `${name}: not available here: ${why}`, { source: name, retryable: false })
  const stats: ProviderStats = Object.freeze({
    identity: `${name}|unavailable`,
    hits: 0,
    misses: 0,
    upstreamRequests: 0,
    refreshes: 0,
    refreshFailures: 0,
    retries: 0,
    evictions: 0,
    inflight: 0,
    scopes: Object.freeze([]),
  })
  const close = async (): Promise<void> => {}
  return {
    name,
    getToken: () => Promise.reject(error()),
    peekToken: () => undefined,
    cachedToken: () => undefined,
    on: () => () => {},
    stats: () => stats,
    describe: () => `${name} (unavailable: ${why})`,
    close,
    [Symbol.asyncDispose]: close,
  }
}
