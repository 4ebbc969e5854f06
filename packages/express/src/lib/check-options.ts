/**
 * Option checks shared by the factories of this package: each throws a `config` KeylessError
 * naming the factory and the option, never echoing a value.
 *
 * @module
 */
import { configError, isKeylessError, KeylessError, validateScope, type TokenProvider } from '@keyless/core'

/** The `source` of every error this package makes itself. */
export const SOURCE = 'express'

/**
 * Returns `options` as a record if it is a plain object with only `known` keys, else throws `config`.
 *
 * @example
 * ```ts
 * const checked = checkOptions(options, 'keyless()', ['provider', 'scopes'])
 * ```
 */
export function checkOptions(options: unknown, where: string, known: readonly string[]): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw configError(`${where}: pass one options object, such as { provider }`, SOURCE)
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw configError(`${where}: unknown option ${JSON.stringify(key.slice(0, 64))}; the options are ${known.join(', ')}`, SOURCE)
    }
  }
  return options as Record<string, unknown>
}

/**
 * Returns `value` if it is a {@link TokenProvider} (an object with `getToken`), else throws
 * `config`. With `needsPeek`, `peekToken` is required too; `stats`, when present, must be a function.
 *
 * @example
 * ```ts
 * const provider = checkProvider(checked.provider, 'readiness()', { needsPeek: true })
 * ```
 */
export function checkProvider(value: unknown, where: string, { needsPeek = false }: { needsPeek?: boolean } = {}): TokenProvider {
  const candidate = value as Partial<Record<'getToken' | 'peekToken' | 'stats', unknown>> | null | undefined
  if (typeof value !== 'object' || value === null || typeof candidate?.getToken !== 'function') {
    throw configError(`${where}: option provider must be a TokenProvider such as imds() or auto(); keyless never makes one for you`, SOURCE)
  }
  if (needsPeek && typeof candidate.peekToken !== 'function') {
    throw configError(`${where}: option provider must have peekToken() (every keyless provider has it)`, SOURCE)
  }
  if (candidate.stats !== undefined && typeof candidate.stats !== 'function') {
    throw configError(`${where}: option provider has a stats property that is not a function`, SOURCE)
  }
  return value as TokenProvider
}

/**
 * Returns a frozen copy of `value` if it is an array of distinct usable scopes, else throws
 * `config` (with the `invalid-scope` error as `cause` for a bad scope). `undefined` is an empty
 * list unless `required`; an empty list is refused when `required`.
 *
 * @example
 * ```ts
 * const scopes = checkScopes(checked.scopes, 'warmUp()', { required: true })
 * ```
 */
export function checkScopes(value: unknown, where: string, { required }: { required: boolean }): readonly string[] {
  if (value === undefined && !required) return Object.freeze([])
  if (!Array.isArray(value) || (required && value.length === 0)) {
    throw configError(`${where}: option scopes must be ${required ? 'a non-empty' : 'an'} array of scopes, such as ['https://vault.azure.net/.default']`, SOURCE)
  }
  const scopes: string[] = []
  for (const [i, scope] of (value as unknown[]).entries()) {
    try {
      validateScope(scope, SOURCE)
    } catch (error: unknown) {
      if (!isKeylessError(error)) throw error
      throw new KeylessError('config', `${where}: scopes[${i}] is not one usable scope`, { source: SOURCE, cause: error })
    }
    if (scopes.includes(scope as string)) throw configError(`${where}: scopes[${i}] repeats an earlier scope`, SOURCE)
    scopes.push(scope as string)
  }
  return Object.freeze(scopes)
}

/**
 * Returns `value` if it is `undefined` or a boolean, else throws `config`.
 *
 * @example
 * ```ts
 * const failFast = checkBoolean(checked.failFast, 'failFast', 'warmUp()') ?? false
 * ```
 */
export function checkBoolean(value: unknown, name: string, where: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw configError(`${where}: option ${name} must be a boolean`, SOURCE)
}

/**
 * Returns `value` if it is `undefined` or a finite number within `[min, max]` (an integer when
 * `integer`), else throws `config`.
 *
 * @example
 * ```ts
 * const status = checkNumber(checked.status, 'status', 'tokenErrors()', { min: 400, max: 599, integer: true })
 * ```
 */
export function checkNumber(
  value: unknown,
  name: string,
  where: string,
  { min, max = Number.MAX_SAFE_INTEGER, integer = false }: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value))) return value
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
  throw configError(`${where}: option ${name} must be ${integer ? 'an integer' : 'a finite number'} ${range}`, SOURCE)
}

/**
 * Returns `value` if it is `undefined` or an AbortSignal, else throws `config`.
 *
 * @example
 * ```ts
 * const signal = checkSignal(checked.signal, 'warmUp()')
 * ```
 */
export function checkSignal(value: unknown, where: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value
  throw configError(`${where}: option signal must be an AbortSignal`, SOURCE)
}
