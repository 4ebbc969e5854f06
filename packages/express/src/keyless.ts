/**
 * `keyless()`: the Express middleware that makes `requestToken()` work in the routes after it.
 *
 * @module
 */
import type { RequestHandler } from 'express'
import { attachContext, contextFromOptions, type KeylessOptions } from './lib/request-context.js'
import { defineKeylessGetter } from './request-keyless.js'

export type { KeylessOptions } from './lib/request-context.js'

/**
 * Makes the middleware that gives the routes after it a token for the request being handled,
 * through {@link requestToken} (and `req.keyless.getToken`, typed with the opt-in augment).
 *
 * Use it to scope a provider to a router or a path. For a whole app, `bindKeyless(app, options)`
 * does the same with no middleware: Express runs every middleware on every request it covers, and
 * in Express 5 one more layer costs a request more than the token does.
 *
 * The middleware does no I/O and never fetches by itself: a token is fetched when a handler asks
 * and is not cached yet. Call {@link warmUp} at start-up to have tokens ready before traffic.
 * The provider is the caller's: the middleware never creates one and never closes it.
 *
 * Throws a `config` KeylessError at once when `provider` is not a provider, `scopes` is not an
 * array of valid scopes, or an unknown option is given.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { imds } from '@keyless/imds'
 * import { keyless, requestToken } from '@keyless/express'
 *
 * const provider = imds()
 * const vault = express.Router()
 * vault.use(keyless({ provider, scopes: ['https://vault.azure.net/.default'] }))
 * vault.get('/', async (req, res) => {
 *   const { token } = await requestToken(req)
 *   res.json({ length: token.length })
 * })
 * ```
 */
export function keyless(options: KeylessOptions): RequestHandler {
  const context = contextFromOptions(options, 'keyless()')
  return function keylessMiddleware(req, _res, next) {
    attachContext(req, context)
    defineKeylessGetter(Object.getPrototypeOf(req) as object | null)
    next()
  }
}
