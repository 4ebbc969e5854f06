/**
 * An undici interceptor that gives requests to configured origins a bearer token.
 *
 * @module
 */
import type { Dispatcher } from 'undici'
import type { TokenProvider } from '../token-provider.js'
import { BearerAuthHandler } from './bearer-auth-handler.js'
import { bearerHeader } from './bearer-header.js'
import { originOf, resolveOutboundAuthOptions, type OutboundAuthOptions } from './outbound-auth-options.js'
import { withoutAuthorization } from './without-authorization.js'

/**
 * Makes an undici interceptor that sets `Authorization: Bearer <token>` on requests to the
 * configured origins, each with the token of its own scope, and on nothing else.
 *
 * - Matching: the request's `opts.origin` (scheme, host, port after URL normalisation) must be a
 *   key of `origins`. Other requests, and requests without `opts.origin` (a `Client` or `Pool`
 *   dispatching to its own origin), pass through untouched: an `Authorization` header the caller
 *   set on them stays, ours is never added.
 * - Compose it on an `Agent`, or on another dispatcher that sends each request to its
 *   `opts.origin`. Never on a `Client` or `Pool`: they send every request to their own origin,
 *   whatever `opts.origin` says, so a redirect hop (or a `request(url, { dispatcher })`) naming a
 *   configured origin would carry that origin's token to theirs. An interceptor cannot see which
 *   dispatcher it was composed on, so this is the caller's to keep.
 * - A configured request waits for `provider.getToken(scope)` (usually a cache hit), then goes out
 *   with our header, replacing any the caller set; the caller's options are never modified. A
 *   token failure ends the request with the provider's KeylessError, which never holds the token.
 *   Aborting the request while the token is awaited ends it at once.
 * - Claims challenge (CAE): a 401 whose `WWW-Authenticate` is a `Bearer` challenge with
 *   `error="insufficient_claims"` and `claims="<base64>"` is retried once with
 *   `getToken(scope, { claims })`, when the body can be sent again (none, a string or bytes).
 *   Otherwise, and on a second 401, the 401 reaches the caller.
 * - Redirects: compose undici's redirect interceptor *after* this one
 *   (`agent.compose(bearerAuth(...), interceptors.redirect(...))`): every hop then passes through
 *   this interceptor again, so a hop to a configured origin gets that origin's token and a hop
 *   anywhere else gets none (our header is added to a copy of each hop's options, never to the
 *   options the redirect handler reuses). In the other order undici itself strips
 *   `Authorization` from cross-origin hops: no token leaks either, but a hop to another
 *   configured origin arrives without one. undici's `fetch` with this dispatcher behaves like
 *   the supported order.
 *
 * Throws a `config` KeylessError at once for invalid options (see `OutboundAuthOptions`).
 *
 * @example
 * ```ts
 * import { Agent, interceptors, request } from 'undici'
 *
 * const dispatcher = new Agent().compose(
 *   bearerAuth({ provider, origins: { 'https://myvault.vault.azure.net': 'https://vault.azure.net/.default' } }),
 *   interceptors.redirect({ maxRedirections: 5 }),
 * )
 * const { body } = await request('https://myvault.vault.azure.net/secrets/db?api-version=7.4', { dispatcher })
 * ```
 */
export function bearerAuth(options: OutboundAuthOptions): Dispatcher.DispatcherComposeInterceptor {
  const { provider, origins } = resolveOutboundAuthOptions(options, 'bearerAuth')
  return (dispatch) =>
    function bearerAuthInterceptor(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = originOf(opts.origin)
      const scope = origin === undefined ? undefined : origins.get(origin)
      if (origin === undefined || scope === undefined) return dispatch(opts, handler)

      // Snapshot now: the caller (or an outer redirect handler) may reuse its objects meanwhile.
      const request = { ...opts }
      const headers = withoutAuthorization(opts.headers)
      const send = (claims: string | undefined): void => {
        bearerHeader(provider, scope, claims === undefined ? {} : { claims })
          .then((authorization) => {
            if (authHandler.settled) return
            dispatch({ ...request, headers: [...headers, 'authorization', authorization] }, authHandler)
          })
          .catch((error: unknown) => authHandler.fail(asError(error)))
          // Only the caller's own handler can throw in `fail`; nobody is left to tell, and a
          // rejection here would be unhandled.
          .catch(() => {})
      }
      const authHandler = new BearerAuthHandler(handler, origin, isReplayableDispatchBody(opts.body) ? send : undefined)
      authHandler.start()
      if (!authHandler.settled) send(undefined)
      return true
    }
}

// A stream or iterable is consumed by the first attempt; FormData is left out like streams
// because undici turns it into one.
function isReplayableDispatchBody(body: Dispatcher.DispatchOptions['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('bearerAuth: the token provider failed with a value that is not an Error', { cause: error })
}
