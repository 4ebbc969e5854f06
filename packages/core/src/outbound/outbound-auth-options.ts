/**
 * The options both outbound helpers take (`bearerAuth()`, `authorizedFetch()`) and their
 * validation: which origins get a bearer token, and for which scope.
 *
 * @module
 */
import { configError, isKeylessError, KeylessError } from '../errors/keyless-error.js'
import { isLoopbackHost } from '../http/is-direct-host.js'
import { validateScope } from '../scope/scope.js'
import type { TokenProvider } from '../token-provider.js'

/** Options of `bearerAuth()` and `authorizedFetch()`. */
export interface OutboundAuthOptions {
  /** Where tokens come from: any {@link TokenProvider} (`imds()`, `auto()`, ...). */
  readonly provider: TokenProvider
  /**
   * The only origins that get a token, each mapped to the scope of its token:
   * `{ 'https://myvault.vault.azure.net': 'https://vault.azure.net/.default' }`.
   *
   * A key is an origin: scheme, host and port, compared after URL normalisation (case, default
   * port, IDN), so `https://Vault.example:443` and `https://vault.example` are one key. A path
   * (other than `/`), query, fragment, credentials or wildcard is a config error; so is an `http:`
   * origin whose host is not loopback, because a token must not travel in clear text. Subdomains,
   * other ports and the other scheme are different origins and get nothing.
   */
  readonly origins: Readonly<Record<string, string>>
}

/** Validated {@link OutboundAuthOptions}: a private copy, never the caller's objects. */
export interface ResolvedOutboundAuthOptions {
  readonly provider: TokenProvider
  /** Normalised origin (`URL.origin`) → scope. */
  readonly origins: ReadonlyMap<string, string>
}

/**
 * Validates {@link OutboundAuthOptions} and copies them, or throws a `config` KeylessError at once.
 *
 * Messages name the helper (`name`) and the offending key by its origin, or by its position when
 * the key does not parse or holds credentials, so no credential is ever quoted. An invalid scope is
 * a `config` error too, with the `invalid-scope` error as `cause`.
 *
 * @example
 * ```ts
 * const { origins } = resolveOutboundAuthOptions({ provider, origins: { 'https://myvault.vault.azure.net': 'https://vault.azure.net/.default' } }, 'bearerAuth')
 * origins.get('https://myvault.vault.azure.net') // 'https://vault.azure.net/.default'
 * ```
 */
export function resolveOutboundAuthOptions(options: OutboundAuthOptions, name: string): ResolvedOutboundAuthOptions {
  const fail = (problem: string): never => {
    throw configError(`${name}: ${problem}`, name)
  }
  if (typeof options !== 'object' || options === null) return fail('pass an options object { provider, origins }')
  const { provider, origins } = options
  if (typeof provider !== 'object' || provider === null || typeof provider.getToken !== 'function') {
    return fail('option provider must be a TokenProvider (an object with getToken), such as imds() or auto()')
  }
  if (typeof origins !== 'object' || origins === null || Array.isArray(origins)) {
    return fail("option origins must be an object mapping an origin to its scope, such as { 'https://myvault.vault.azure.net': 'https://vault.azure.net/.default' }")
  }
  const resolved = new Map<string, string>()
  Object.entries(origins).forEach(([key, scope], index) => {
    const origin = parseOriginKey(key, index, fail)
    const validScope = checkedScope(scope, origin, name)
    const existing = resolved.get(origin)
    if (existing !== undefined && existing !== validScope) fail(`origins lists ${origin} twice with different scopes; keep one`)
    resolved.set(origin, validScope)
  })
  if (resolved.size === 0) return fail('option origins is empty; list each origin that gets a token')
  return { provider, origins: resolved }
}

/**
 * The normalised origin (`URL.origin`) of an http(s) URL, or `undefined` for anything else
 * (another scheme, a value that does not parse, none at all).
 *
 * @example
 * ```ts
 * originOf('HTTPS://Vault.Example:443/secrets?x=1') // 'https://vault.example'
 * originOf('ftp://files.example') // undefined
 * ```
 */
export function originOf(url: string | URL | null | undefined): string | undefined {
  if (url === null || url === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch {
    return undefined
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined
}

function parseOriginKey(key: string, index: number, fail: (problem: string) => never): string {
  // Quoted by position until we know the key holds no credentials and parses at all.
  const position = `origins key #${index + 1}`
  let url: URL
  try {
    url = new URL(key)
  } catch {
    return fail(`${position} is not a URL; use an origin such as https://myvault.vault.azure.net`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(`${position} is not an http(s) origin; use one such as https://myvault.vault.azure.net`)
  if (url.username !== '' || url.password !== '') return fail(`${position} holds credentials; give the origin alone, the token is the credential`)
  const origin = url.origin
  if (url.hostname.includes('*')) return fail(`origins key ${origin} has a wildcard; list each origin that gets a token`)
  // `new URL` drops an empty `?` or `#`, so look at the key itself too.
  if (url.search !== '' || url.hash !== '' || key.includes('?') || key.includes('#')) {
    return fail(`origins key ${origin} has a query or fragment; give the origin alone`)
  }
  if (url.pathname !== '/') return fail(`origins key ${origin} has a path; tokens are per origin, give the origin alone`)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return fail(`origins key ${origin} is plain http; a token must not travel in clear text, use https (http is allowed for loopback only)`)
  }
  return origin
}

function checkedScope(scope: unknown, origin: string, name: string): string {
  try {
    return validateScope(scope, name)
  } catch (error) {
    if (!isKeylessError(error)) throw error
    throw new KeylessError('config', `${name}: the scope of ${origin} is not one usable scope; give one such as https://vault.azure.net/.default`, {
      source: name,
      cause: error,
    })
  }
}
