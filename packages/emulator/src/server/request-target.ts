/**
 * Splits a raw request target into path and query without `new URL()`.
 *
 * @module
 */

/** The parts of a request target the routes look at. */
export interface RequestTarget {
  /** The path as received, percent-encoding intact, without the query. */
  readonly path: string
  /** The query parsed with WHATWG rules (values decoded); keys keep their case and duplicates. */
  readonly query: URLSearchParams
}

/**
 * Parses `req.url`. `new URL('//metadata/…', base)` would read `metadata` as a host, and MSAL
 * sends exactly that leading `//` when the override ends in `/` (protocols.md §2).
 */
export function parseRequestTarget(rawUrl: string | undefined): RequestTarget {
  const url = rawUrl ?? '/'
  const mark = url.indexOf('?')
  const path = mark === -1 ? url : url.slice(0, mark)
  const rawQuery = mark === -1 ? '' : url.slice(mark + 1)
  return { path, query: new URLSearchParams(rawQuery) }
}

/** Keys that occur more than once in `query`. */
export function duplicateKeys(query: URLSearchParams): string[] {
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const key of query.keys()) {
    if (seen.has(key)) duplicates.add(key)
    seen.add(key)
  }
  return [...duplicates]
}

/**
 * Lower-cases the path, collapses runs of `/` and drops one trailing `/`, so that `/token`,
 * `/token/`, `//…/token/` and MSAL's lower-cased URL all compare equal (protocols.md §10.1).
 */
export function normalizePath(path: string): string {
  const collapsed = path.toLowerCase().replace(/\/{2,}/g, '/')
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed
}
