/**
 * What the `keyless()` middleware leaves on a request for `requestToken()`: one property under a
 * module-private symbol, so nothing is added to Express's types or to `res.locals`, it is skipped
 * by `JSON.stringify` and `Object.keys`, and it goes away with the request. A symbol-keyed store
 * is the cheapest per-request record there is (a WeakMap insert costs several times more on a
 * path every request takes).
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

const CONTEXT: unique symbol = Symbol('keyless.context')

interface WithContext {
  [CONTEXT]?: KeylessContext
}

/**
 * Binds `req` to the middleware's context; a later `keyless()` on the same request replaces it.
 *
 * @example
 * ```ts
 * attachContext(req, { provider, defaultScope: scopes[0] })
 * ```
 */
export function attachContext(req: object, context: KeylessContext): void {
  ;(req as WithContext)[CONTEXT] = context
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
  return (req as WithContext)[CONTEXT]
}
