/**
 * `cachedTokenOf()`: the cache hit of any provider, for integrations that must not set anything up
 * on a hit.
 *
 * @module
 */
import type { AccessToken, TokenProvider } from './token-provider.js'

/**
 * For `provider`'s usable cached token for `scope`: the promise `getToken(scope)` returns for it
 * (counted as a hit, so the token stays in use and goes on being refreshed); `undefined` when the
 * call would have to wait or fail. A keyless provider answers with one lookup (`cachedToken`);
 * another provider with `peekToken` is asked `peekToken` then `getToken`; one without either
 * always gets `undefined`.
 *
 * @example
 * ```ts
 * const hit = cachedTokenOf(provider, scope)
 * if (hit !== undefined) return hit // no signal, no listener on the hit path
 * return provider.getToken(scope, { signal: requestSignal() })
 * ```
 */
export function cachedTokenOf(provider: TokenProvider, scope: string): Promise<AccessToken> | undefined {
  const withHitPath = provider as TokenProvider & { cachedToken?(scope: string): Promise<AccessToken> | undefined }
  if (typeof withHitPath.cachedToken === 'function') return withHitPath.cachedToken(scope)
  return provider.peekToken?.(scope) !== undefined ? provider.getToken(scope) : undefined
}
