/**
 * Where IMDS is: the option, else `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else the link-local default.
 *
 * @module
 */
import { configError, IMDS_HOST, isLoopbackHost } from '@keyless/core'

/** The IMDS token endpoint on every Azure VM. Never reached by keyless's tests, demo or benchmarks. */
export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token'
/** The token path under an authority host given without a path. */
export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token'
/** The variable `@azure/identity` honours to move IMDS elsewhere (AAD Pod Identity, emulators). */
export const AZURE_POD_IDENTITY_AUTHORITY_HOST = 'AZURE_POD_IDENTITY_AUTHORITY_HOST'

/**
 * Resolves the IMDS token URL: `endpoint`, else `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else
 * {@link IMDS_DEFAULT_ENDPOINT}. A base URL gets the token path; a URL with a path is used as is.
 * Throws a `config` error for anything but an http(s) URL without credentials, and for plain http
 * to any host but IMDS's link-local address and loopback (the token would cross a network in clear).
 *
 * @example
 * ```ts
 * resolveImdsEndpoint('http://127.0.0.1:8080').pathname // '/metadata/identity/oauth2/token'
 * ```
 */
export function resolveImdsEndpoint(endpoint?: string): URL {
  const value = endpoint ?? process.env[AZURE_POD_IDENTITY_AUTHORITY_HOST] ?? IMDS_DEFAULT_ENDPOINT
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw configError('imds: the endpoint is not a valid URL; give a base such as http://127.0.0.1:8080', 'imds')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('imds: the endpoint must be http or https', 'imds')
  if (url.username !== '' || url.password !== '') throw configError('imds: the endpoint must not hold credentials', 'imds')
  // IMDS's own address is the one non-loopback host plain http may reach.
  if (url.protocol === 'http:' && url.hostname !== IMDS_HOST && !isLoopbackHost(url.hostname)) {
    throw configError('imds: a plain http endpoint must be 169.254.169.254 or a loopback address; use https for any other host', 'imds')
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = IMDS_TOKEN_PATH
  return url
}
