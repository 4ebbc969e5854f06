/**
 * `req.keyless`: the method-style view of {@link requestToken}, present on every request the
 * `keyless()` middleware handled; its type is opt-in (`import '@keyless/express/augment'`).
 *
 * @module
 */
import type { AccessToken } from '@keyless/core'
import type { Request } from 'express'
import { requestToken, type RequestTokenOptions } from './request-token.js'

/**
 * What `req.keyless` holds once `keyless()` ran. Typed on `Request` only after
 * `import '@keyless/express/augment'`; without it, use {@link requestToken}.
 *
 * @example
 * ```ts
 * import '@keyless/express/augment'
 *
 * app.get('/blob', async (req, res) => {
 *   const { token } = await req.keyless.getToken('https://storage.azure.com/.default')
 *   res.send(await download(token))
 * })
 * ```
 */
export interface RequestKeyless {
  /** Same as `requestToken(req, scope, options)`. */
  getToken(scope?: string, options?: RequestTokenOptions): Promise<AccessToken>
}

/**
 * Defines `req.keyless` on `req`: non-enumerable (it does not show in logs or `Object.keys`),
 * read-only, and replaceable by a later `keyless()` middleware.
 *
 * @example
 * ```ts
 * decorateRequest(req)
 * ```
 */
export function decorateRequest(req: Request): void {
  const view: RequestKeyless = { getToken: (scope, options) => requestToken(req, scope, options) }
  Object.defineProperty(req, 'keyless', { value: view, enumerable: false, writable: false, configurable: true })
}
