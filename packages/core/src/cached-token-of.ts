/**
 * `cachedTokenOf()`: the cache hit of any provider, for integrations that must not set anything up
 * on a hit.
 *
 * @module
 */
import type { AccessToken, GetTokenOptions, TokenProvider } from './token-provider.js'

/**
 * Whether a `getToken` call with `options` may be answered from the cache: not a forced refresh,
 * not a claims challenge, not a caller that has already aborted (that one rejects at once).
 *
 * @example
 * ```ts
 * if (mayUseCachedToken(options)) return cachedToken(scope) ?? acquire(scope, options)
 * ```
 */
export function mayUseCachedToken(options: GetTokenOptions | undefined): boolean {
  return options === undefined || (options.forceRefresh !== true && options.claims === undefined && options.signal?.aborted !== true)
}

/**
 * For `provider`'s usable cached token for `scope`: the promise `getToken(scope, options)` returns
 * for it (counted as a hit, so the token stays in use and goes on being refreshed); `undefined`
 * when the call would have to wait or fail, or `options` rule the cache out ({@link mayUseCachedToken}). A keyless provider answers with one lookup (`cachedToken`);
 * another provider with `peekToken` is asked `peekToken` then `getToken`; one without either
 * always gets `undefined`.
 *
 * @example
 * ```ts
 * const hit = cachedTokenOf(provider, scope, options)
 * if (hit !== undefined) return hit // no signal, no listener on the hit path
 * return provider.getToken(scope, { ...options, signal: requestSignal() })
 * ```
 */
export function cachedTokenOf(provider: TokenProvider, scope: string, options?: GetTokenOptions): Promise<AccessToken> | undefined {
  if (!mayUseCachedToken(options)) return undefined
  if (typeof provider.cachedToken === 'function') return provider.cachedToken(scope)
  return provider.peekToken?.(scope) !== undefined ? provider.getToken(scope) : undefined
}
