/**
 * `bearerHeader()`: the `Authorization` value both outbound paths (the undici interceptor and the
 * `fetch` wrapper) send, from the provider's token for a scope.
 *
 * @module
 */
import type { GetTokenOptions, TokenProvider } from '../token-provider.js'

/**
 * `Bearer <token>` for `scope`, from `provider.getToken(scope, options)`; rejects as that call does.
 *
 * @example
 * ```ts
 * headers.set('authorization', await bearerHeader(provider, 'https://vault.azure.net/.default', { signal }))
 * ```
 */
export async function bearerHeader(provider: TokenProvider, scope: string, options: GetTokenOptions): Promise<string> {
  const token = await provider.getToken(scope, options)
  return `Bearer ${token.token}`
}
