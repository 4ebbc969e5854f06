/**
 * Start-up warm-up: one fetch per configured scope, all in parallel, before the app serves.
 *
 * @module
 */
import { isKeylessError, type TokenProvider } from '@keyless/core'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Gets a token for every scope, in parallel, and waits for all of them.
 *
 * If any fails: with `failFast`, rejects with the first failure in `scopes` order (the coded
 * error, so `app.ready()` rejects with it); otherwise logs one warning per failed scope (scope,
 * code and error, never a token) and resolves. How long it can take is bounded by the provider's
 * own deadline (`deadlineMs` for keyless providers).
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
  const results = await Promise.allSettled(scopes.map(async (scope) => provider.getToken(scope)))
  const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{ scope: scopes[i], error: result.reason as unknown }] : []))
  const [first] = failures
  if (first === undefined) return
  if (options.failFast) throw first.error
  for (const { scope, error } of failures) {
    const code = isKeylessError(error) ? error.code : undefined
    options.log.warn(
      { scope, code, err: error },
      `keyless: no token for a configured scope at start-up (${code ?? 'error'}); serving anyway, its requests fail until the endpoint answers`,
    )
  }
}
