import { isKeylessError, type KeylessError, type KeylessErrorCode } from '../../src/errors/keyless-error.js'

/** The outcome of a call that may only return, or throw a KeylessError with one of `codes`. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KeylessError }

/**
 * Runs `call`; a throw that is not a KeylessError with one of `codes` (a crash: TypeError,
 * RangeError, a stack overflow, an undocumented code) is rethrown so fast-check reports it.
 */
export function coded<T>(codes: readonly KeylessErrorCode[], call: () => T): Outcome<T> {
  try {
    return { ok: true, value: call() }
  } catch (error: unknown) {
    if (isKeylessError(error) && codes.includes(error.code)) return { ok: false, error }
    throw new Error(`not a coded error (${codes.join(', ')})`, { cause: error })
  }
}
