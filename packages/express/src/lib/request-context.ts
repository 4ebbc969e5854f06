/**
 * What `keyless()` leaves on a request, and `bindKeyless()` on an app's request prototype, for
 * `requestToken()`: one property under a module-private symbol, so nothing is added to Express's
 * types or to `res.locals`, it is skipped by `JSON.stringify` and `Object.keys`, and it goes away
 * with the request. A symbol-keyed store is the cheapest per-request record there is (a WeakMap
 * insert costs several times more on a path every request takes); `bindKeyless()` costs a request
 * nothing at all.
 *
 * @module
 */
import type { TokenProvider } from '@keyless/core'
import { checkOptions, checkProvider, checkScopes } from './check-options.js'

/** One per `keyless()` middleware or `bindKeyless()` binding, shared by every request it covers. */
export interface KeylessContext {
  readonly provider: TokenProvider
  /** The first configured scope: what `requestToken(req)` asks for without a scope. */
  readonly defaultScope: string | undefined
}

/** The options `keyless()` and `bindKeyless()` both take. */
export interface KeylessOptions {
  /** Where tokens come from: `imds()`, `auto()`, ... keyless never makes or closes one here. */
  provider: TokenProvider
  /** Scopes the routes use; the first is what `requestToken(req)` asks for without a scope. Default none. */
  scopes?: readonly string[] | undefined
}

/**
 * Checks `options` and makes the frozen context they describe; throws a `config` KeylessError
 * naming `where` for a missing provider, bad scopes or an unknown key.
 *
 * @example
 * ```ts
 * const context = contextFromOptions(options, 'keyless()')
 * ```
 */
export function contextFromOptions(options: KeylessOptions, where: string): KeylessContext {
  const checked = checkOptions(options, where, ['provider', 'scopes'])
  const provider = checkProvider(checked.provider, where)
  const scopes = checkScopes(checked.scopes, where, { required: false })
  return Object.freeze({ provider, defaultScope: scopes[0] })
}

const CONTEXT: unique symbol = Symbol('keyless.context')

interface WithContext {
  [CONTEXT]?: KeylessContext
}

/**
 * Binds `target` to a context: a request (the `keyless()` middleware; a later one on the same
 * request replaces it) or an app's request prototype (`bindKeyless()`; every request of the app
 * inherits it, and a request's own binding comes first).
 *
 * @example
 * ```ts
 * attachContext(req, { provider, defaultScope: scopes[0] })
 * ```
 */
export function attachContext(target: object, context: KeylessContext): void {
  ;(target as WithContext)[CONTEXT] = context
}

/**
 * The context for `req`: the innermost `keyless()` middleware's if one ran, else the one
 * `bindKeyless()` put on its app (found through the prototype chain), else `undefined`.
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
