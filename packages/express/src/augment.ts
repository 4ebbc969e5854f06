/**
 * Opt-in types for `req.keyless`: `import '@keyless/express/augment'` once, anywhere in the app,
 * and every Express `Request` gets a typed `keyless` property. Without this import keyless adds
 * nothing to Express's global types; use `requestToken(req)` instead.
 *
 * The property itself is always there at runtime on requests the `keyless()` middleware handled
 * (non-enumerable); this module only declares it, so it has no runtime effect.
 *
 * @example
 * ```ts
 * import '@keyless/express/augment'
 *
 * app.get('/', async (req, res) => {
 *   const { token } = await req.keyless.getToken('https://vault.azure.net/.default')
 *   res.json({ ok: token.length > 0 })
 * })
 * ```
 *
 * @module
 */
import type { RequestKeyless } from './request-keyless.js'

declare global {
  // The namespace Express's own types merge request properties through (@types/express-serve-static-core).
  namespace Express {
    interface Request {
      /**
       * Tokens for this request; set by the `keyless()` middleware. On a route the middleware
       * does not cover it is absent at runtime, whatever this type says.
       */
      readonly keyless: RequestKeyless
    }
  }
}

export type { RequestKeyless }
