/**
 * Copies undici request headers, in any of the shapes undici accepts, minus `Authorization`.
 *
 * @module
 */
import type { Dispatcher } from 'undici'

type UndiciHeaders = Dispatcher.DispatchOptions['headers']

/**
 * Returns the headers as a new flat `[name, value, name, value, ...]` list without any
 * `Authorization` header, leaving the caller's object untouched.
 *
 * Accepts every shape of `DispatchOptions.headers`: `null`/`undefined`, a record (array values
 * become one entry each; `undefined` values are dropped), a flat list, a list of `[name, value]`
 * pairs, or any other iterable of pairs (`Headers`, `Map`). Header names compare
 * case-insensitively; names and values are otherwise kept as given.
 *
 * @example
 * ```ts
 * withoutAuthorization({ Accept: 'application/json', Authorization: 'Basic eA==' }) // ['Accept', 'application/json']
 * ```
 */
export function withoutAuthorization(headers: UndiciHeaders): string[] {
  const list: string[] = []
  const add = (name: unknown, value: unknown): void => {
    const key = text(name)
    if (key.toLowerCase() === 'authorization' || value === undefined || value === null) return
    if (Array.isArray(value)) for (const item of value) list.push(key, text(item))
    else list.push(key, text(value))
  }
  if (headers === null || headers === undefined) return list
  if (Array.isArray(headers)) {
    const entries: readonly unknown[] = headers
    if (entries.length > 0 && Array.isArray(entries[0])) {
      for (const pair of entries as ReadonlyArray<readonly unknown[]>) add(pair[0], pair[1])
    } else {
      for (let i = 0; i + 1 < entries.length; i += 2) add(entries[i], entries[i + 1])
    }
  } else if (isIterable(headers)) {
    for (const pair of headers) add(pair[0], pair[1])
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value)
  }
  return list
}

function isIterable(headers: object): headers is Iterable<readonly [unknown, unknown]> {
  // A plain record may be given a Symbol.iterator by accident of its prototype; undici itself
  // iterates only objects that are not plain (lib/core/util.js `hasSafeIterator`).
  const prototype: unknown = Object.getPrototypeOf(headers)
  const own = Object.prototype.hasOwnProperty.call(headers, Symbol.iterator)
  return own || (prototype !== null && prototype !== Object.prototype && typeof (headers as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function')
}

function text(value: unknown): string {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('latin1')
  return String(value)
}
