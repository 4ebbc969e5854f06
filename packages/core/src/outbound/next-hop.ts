/**
 * Where `authorizedFetch()` goes after a redirect: fetch's redirect rules, applied by hand so that
 * every hop is matched against the configured origins.
 *
 * @module
 */

/** The most redirects one call follows, as `fetch` (https://fetch.spec.whatwg.org/#http-redirect-fetch step 7). */
export const MAX_REDIRECTS = 20

/** One request of a redirect chain, before our `Authorization` header is added. */
export interface Hop {
  readonly url: URL
  readonly method: string
  /** The caller's headers as they stand at this hop; never holds our token. */
  readonly headers: Headers
  readonly body: RequestInit['body'] | null
}

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])
// https://fetch.spec.whatwg.org/#request-body-header-name
const REQUEST_BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type']
// What fetch (undici lib/web/fetch/index.js, httpRedirectFetch step 13) drops on a cross-origin hop.
const CROSS_ORIGIN_DROPPED_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host']

/**
 * Returns the next hop when `response` is a redirect to follow, or `undefined` when it is the
 * final response (not 301/302/303/307/308, or no `Location`).
 *
 * Applies fetch's rules: the `Location` resolves against the hop's URL and must be http(s); at
 * most {@link MAX_REDIRECTS} redirects (`redirects` counts those already followed); a 303 turns any
 * method but HEAD into GET and a 301/302 turns POST into GET, dropping the body and its
 * `Content-*` headers; a cross-origin hop drops `Authorization`, `Proxy-Authorization`, `Cookie`
 * and `Host`. Throws a `TypeError` (as `fetch` rejects) for an unusable `Location`, too many
 * redirects, or a 307/308 (or 301/302 other than POST) of a body that cannot be sent again.
 * Messages never quote the `Location`, which may hold a query string.
 *
 * @example
 * ```ts
 * const next = nextHop(hop, response, redirects, true)
 * if (next === undefined) return response
 * ```
 */
export function nextHop(hop: Hop, response: Response, redirects: number, replayable: boolean): Hop | undefined {
  if (!REDIRECT_STATUSES.has(response.status)) return undefined
  const location = response.headers.get('location')
  if (location === null) return undefined
  let url: URL
  try {
    url = new URL(location, hop.url)
  } catch {
    throw new TypeError(`authorizedFetch: a ${response.status} from ${hop.url.origin} has a Location that is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`authorizedFetch: a ${response.status} from ${hop.url.origin} points to a ${url.protocol} URL; only http(s) redirects are followed`)
  }
  if (redirects >= MAX_REDIRECTS) throw new TypeError(`authorizedFetch: more than ${MAX_REDIRECTS} redirects, the last from ${hop.url.origin}`)
  if (response.status !== 303 && hop.body !== null && !replayable) {
    throw new TypeError(`authorizedFetch: cannot follow a ${response.status} from ${hop.url.origin} with a stream body; send a string or bytes, or pass redirect: 'manual'`)
  }

  let { method, body } = hop
  const headers = new Headers(hop.headers)
  const upper = method.toUpperCase()
  if (((response.status === 301 || response.status === 302) && upper === 'POST') || (response.status === 303 && upper !== 'GET' && upper !== 'HEAD')) {
    method = 'GET'
    body = null
    for (const name of REQUEST_BODY_HEADERS) headers.delete(name)
  }
  if (url.origin !== hop.url.origin) for (const name of CROSS_ORIGIN_DROPPED_HEADERS) headers.delete(name)
  return { url, method, headers, body }
}
