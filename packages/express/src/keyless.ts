/**
 * `keyless()`: the Express middleware that makes `requestToken()` work in the routes after it.
 *
 * @module
 */
import type { TokenProvider } from '@keyless/core'
import type { RequestHandler } from 'express'
import { checkOptions, checkProvider, checkScopes } from './lib/check-options.js'
import { attachContext, type KeylessContext } from './lib/request-context.js'
import { decorateRequest } from './request-keyless.js'

/** Options of {@link keyless}. */
export interface KeylessOptions {
  /** Where tokens come from: `imds()`, `auto()`, ... The middleware never makes or closes one. */
  provider: TokenProvider
  /** Scopes the routes use; the first is what `requestToken(req)` asks for without a scope. Default none. */
  scopes?: readonly string[] | undefined
}

/**
 * Makes the middleware that gives the routes after it a token for the request being handled,
 * through {@link requestToken} (and `req.keyless.getToken`, typed with the opt-in augment).
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
 * const app = express()
 * app.use(keyless({ provider, scopes: ['https://vault.azure.net/.default'] }))
 * app.get('/', async (req, res) => {
 *   const { token } = await requestToken(req)
 *   res.json({ length: token.length })
 * })
 * ```
 */
export function keyless(options: KeylessOptions): RequestHandler {
  const where = 'keyless()'
  const checked = checkOptions(options, where, ['provider', 'scopes'])
  const provider = checkProvider(checked.provider, where)
  const scopes = checkScopes(checked.scopes, where, { required: false })
  const context: KeylessContext = Object.freeze({ provider, defaultScope: scopes[0] })
  return function keylessMiddleware(req, _res, next) {
    attachContext(req, context)
    decorateRequest(req)
    next()
  }
}
