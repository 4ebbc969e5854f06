/**
 * What the `keyless()` middleware leaves on a request for `requestToken()`: kept in a WeakMap
 * keyed by the request, so nothing is added to Express's types or to `res.locals`, and the entry
 * goes away with the request.
 *
 * @module
 */
import type { TokenProvider } from '@keyless/core'

/** One per `keyless()` middleware, shared by every request it sees. */
export interface KeylessContext {
  readonly provider: TokenProvider
  /** The first configured scope: what `requestToken(req)` asks for without a scope. */
  readonly defaultScope: string | undefined
}

const contexts = new WeakMap<object, KeylessContext>()

/**
 * Binds `req` to the middleware's context; a later `keyless()` on the same request replaces it.
 *
 * @example
 * ```ts
 * attachContext(req, { provider, defaultScope: scopes[0] })
 * ```
 */
export function attachContext(req: object, context: KeylessContext): void {
  contexts.set(req, context)
}

/**
 * The context the innermost `keyless()` middleware bound to `req`, if one ran.
 *
 * @example
 * ```ts
 * const context = contextOf(req)
 * if (context === undefined) throw notMounted()
 * ```
 */
export function contextOf(req: object): KeylessContext | undefined {
  return contexts.get(req)
}
