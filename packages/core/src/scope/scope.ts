/**
 * Checks scopes and identifiers before they reach a URL, and converts a v2 scope to a v1 resource.
 *
 * @module
 */
import { configError, KeylessError } from '../errors/keyless-error.js'

/** Longest scope accepted, in characters. */
export const MAX_SCOPE_LENGTH = 2048
/** Longest identifier (client id, object id, ARM resource id) accepted, in characters. */
export const MAX_IDENTIFIER_LENGTH = 1024

const DEFAULT_SUFFIX = '/.default'
// Unicode category Cc: C0, DEL and the C1 controls (U+0080–U+009F; U+009B is an 8-bit CSI that
// some terminals honour), so a scope or id can neither split a header nor steer a log viewer.
const CONTROL = /\p{Cc}/u
const WHITESPACE = /\s/

/**
 * Returns `scope` unchanged if it is one usable scope, else throws.
 *
 * Accepts a v2 scope (`https://vault.azure.net/.default`) or a v1 resource
 * (`https://vault.azure.net`). Throws a KeylessError with code `invalid-scope` (not retryable)
 * when the scope is not a string, is empty, is longer than {@link MAX_SCOPE_LENGTH}, holds
 * whitespace (so several space-separated scopes are refused: one scope per call), holds a control
 * character (U+0000–U+001F, U+007F), or is `/.default` alone. The message never quotes the scope.
 *
 * @example
 * ```ts
 * validateScope('https://vault.azure.net/.default', 'imds') // returns it
 * validateScope('a b', 'imds') // throws invalid-scope
 * ```
 */
export function validateScope(scope: unknown, source: string): string {
  const fail = (problem: string): never => {
    throw new KeylessError('invalid-scope', `${source}: the scope ${problem}; pass one scope such as https://vault.azure.net/.default`, { source })
  }
  if (typeof scope !== 'string') return fail('is not a string')
  if (scope === '') return fail('is empty')
  if (scope.length > MAX_SCOPE_LENGTH) return fail(`is longer than ${MAX_SCOPE_LENGTH} characters`)
  if (CONTROL.test(scope)) return fail('contains a control character')
  if (WHITESPACE.test(scope)) return fail('contains whitespace (several scopes are not supported)')
  if (scope === DEFAULT_SUFFIX) return fail('names no resource')
  return scope
}

/**
 * Converts a scope to the v1 resource the managed-identity endpoints take: removes a trailing
 * `/.default` and leaves anything else unchanged, a trailing `/` included (as `@azure/identity`
 * does, reference/protocols.md §1.2; services tell `https://management.azure.com/` apart).
 *
 * @example
 * ```ts
 * scopeToResource('https://vault.azure.net/.default') // 'https://vault.azure.net'
 * scopeToResource('https://management.azure.com/') // 'https://management.azure.com/'
 * ```
 */
export function scopeToResource(scope: string): string {
  return scope.endsWith(DEFAULT_SUFFIX) ? scope.slice(0, -DEFAULT_SUFFIX.length) : scope
}

/**
 * Returns `value` if it is a safe identifier to put in a query string (a client id, object id or
 * ARM resource id), else throws a `config` KeylessError.
 *
 * Safe means a non-empty string of at most {@link MAX_IDENTIFIER_LENGTH} characters with no
 * whitespace and no control characters (CR and LF included). The message names the option
 * (`name`), never the value.
 *
 * @example
 * ```ts
 * const clientId = assertSafeIdentifier(options.clientId, 'clientId', 'imds')
 * ```
 */
export function assertSafeIdentifier(value: unknown, name: string, source: string): string {
  const fail = (problem: string): never => {
    throw configError(`${source}: \`${name}\` ${problem}; pass the id exactly as Azure shows it`, source)
  }
  if (typeof value !== 'string') return fail('must be a string')
  if (value === '') return fail('is empty')
  if (value.length > MAX_IDENTIFIER_LENGTH) return fail(`is longer than ${MAX_IDENTIFIER_LENGTH} characters`)
  if (CONTROL.test(value) || WHITESPACE.test(value)) return fail('contains whitespace or a control character')
  return value
}
