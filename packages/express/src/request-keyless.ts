/**
 * `req.keyless`: the method-style view of {@link requestToken}, present on every request the
 * `keyless()` middleware handled or `bindKeyless()` covers; its type is opt-in
 * (`import '@keyless/express/augment'`).
 *
 * @module
 */
import type { AccessToken } from '@keyless/core'
import type { Request } from 'express'
import { contextOf } from './lib/request-context.js'
import { requestToken, type RequestTokenOptions } from './request-token.js'

/**
 * What `req.keyless` holds once `keyless()` ran or on an app `bindKeyless()` bound. Typed on
 * `Request` only after `import '@keyless/express/augment'`; without it, use {@link requestToken}.
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
 * Makes `req.keyless` available: a getter defined once on the prototype Express gives the app's
 * requests (`app.request`, which sub-apps inherit), so a request pays nothing for it until a
 * handler reads it. Non-enumerable, so it does not show in logs or `Object.keys`. On a request with
 * no `keyless()` or `bindKeyless()` context it reads `undefined`; assigning to it defines a plain
 * own property, as if the getter were not there. Does nothing when the getter is already there.
 *
 * @example
 * ```ts
 * defineKeylessGetter(Object.getPrototypeOf(req))
 * ```
 */
export function defineKeylessGetter(prototype: object | null): void {
  if (prototype === null || Object.hasOwn(prototype, 'keyless')) return
  Object.defineProperty(prototype, 'keyless', { get: keylessView, set: shadowKeyless, enumerable: false, configurable: true })
}

function keylessView(this: Request): RequestKeyless | undefined {
  if (contextOf(this) === undefined) return undefined
  return { getToken: (scope, options) => requestToken(this, scope, options) }
}

function shadowKeyless(this: Request, value: unknown): void {
  Object.defineProperty(this, 'keyless', { value, writable: true, enumerable: true, configurable: true })
}
