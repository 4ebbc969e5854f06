/**
 * Start-up warm-up: one fetch per configured scope, all in parallel, before the app serves.
 *
 * @module
 */
import { isKeylessError, type TokenProvider } from '@keyless/core'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Gets a token for every scope, in parallel.
 *
 * With `failFast`, rejects with the first failure as it happens (the coded error, so
 * `app.ready()` rejects with it), without waiting for the other scopes: a scope the endpoint
 * refuses at once is not held up by one that hangs until the provider's deadline. The other
 * fetches go on in the provider, and their outcomes are handled. Without it, waits for every
 * scope, logs one warning per failed scope (scope, code and error, never a token) and resolves.
 * How long it can take is bounded by the provider's own deadline (`deadlineMs` for keyless
 * providers).
 *
 * @example
 * ```ts
 * fastify.addHook('onReady', () => warmUp(provider, scopes, { failFast: true, log: fastify.log }))
 * ```
 */
export async function warmUp(
  provider: TokenProvider,
  scopes: readonly string[],
  options: { failFast: boolean; log: FastifyBaseLogger },
): Promise<void> {
  const fetches = scopes.map(async (scope) => provider.getToken(scope))
  if (options.failFast) {
    await Promise.all(fetches)
    return
  }
  const results = await Promise.allSettled(fetches)
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') continue
    const error: unknown = result.reason
    const code = isKeylessError(error) ? error.code : undefined
    options.log.warn(
      { scope: scopes[i], code, err: error },
      `keyless: no token for a configured scope at start-up (${code ?? 'error'}); serving anyway, its requests fail until the endpoint answers`,
    )
  }
}
