/**
 * `bindKeyless()`: `requestToken()` for every request of an Express app, with no middleware.
 *
 * @module
 */
import { configError } from '@keyless/core'
import type { Express } from 'express'
import { SOURCE } from './lib/check-options.js'
import { attachContext, contextFromOptions, type KeylessOptions } from './lib/request-context.js'
import { defineKeylessGetter } from './request-keyless.js'

/**
 * Binds a provider to `app`: {@link requestToken} (and `req.keyless`) work in every route of the
 * app, of its routers and of the sub-apps mounted on it, as if `app.use(keyless(options))` came
 * first, but at no cost per request. The context sits on the prototype Express gives the app's
 * requests (`app.request`), so no middleware runs; in Express 5 a middleware layer costs a request
 * more than a cached token does.
 *
 * A `keyless()` middleware still takes precedence for the routes after it (for a router that needs
 * another provider). Binding the same app again replaces the earlier binding. Nothing is fetched
 * here; call {@link warmUp} to have tokens ready before traffic. The provider stays the caller's.
 *
 * Throws a `config` KeylessError at once when `app` is not an Express application (a `Router` has
 * no request prototype of its own: use `router.use(keyless(options))`), `provider` is not a
 * provider, `scopes` is not an array of valid scopes, or an unknown option is given.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { imds } from '@keyless/imds'
 * import { bindKeyless, requestToken } from '@keyless/express'
 *
 * const app = express()
 * bindKeyless(app, { provider: imds(), scopes: ['https://vault.azure.net/.default'] })
 * app.get('/', async (req, res) => {
 *   const { token } = await requestToken(req)
 *   res.json({ length: token.length })
 * })
 * ```
 */
export function bindKeyless(app: Express, options: KeylessOptions): void {
  const where = 'bindKeyless()'
  const request = (app as Partial<Pick<Express, 'request'>> | null | undefined)?.request
  if (typeof app !== 'function' || typeof request !== 'object' || request === null) {
    throw configError(`${where}: the first argument must be an Express application (express()); for a Router, use router.use(keyless(options))`, SOURCE)
  }
  const context = contextFromOptions(options, where)
  attachContext(request, context)
  defineKeylessGetter(request)
}
