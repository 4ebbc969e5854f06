/**
 * Internal: how error messages name an endpoint. Not part of the public API.
 *
 * @module
 */

/**
 * Names an endpoint as `host[:port]/path` for error messages: never the scheme's userinfo, the
 * query string (it can hold ids and, on some platforms, secrets) or the fragment.
 *
 * @example
 * ```ts
 * endpointLabel(new URL('http://127.0.0.1:8080/msi/token?resource=x')) // '127.0.0.1:8080/msi/token'
 * ```
 */
export function endpointLabel(url: URL): string {
  return `${url.host}${url.pathname}`
}
