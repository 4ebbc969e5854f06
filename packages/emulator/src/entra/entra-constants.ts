/**
 * Fixed facts of the Entra ID v2.0 client-credentials exchange Workload Identity uses
 * (protocols.md §8.2).
 *
 * @module
 */

/** `grant_type` of the exchange. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials'

/** `client_assertion_type` of a federated (JWT bearer) assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** The suffix a client-credentials scope must carry. */
export const DEFAULT_SCOPE_SUFFIX = '/.default'

/** The token endpoint path of a tenant. */
export function entraTokenPath(tenantId: string): string {
  return `/${tenantId}/oauth2/v2.0/token`
}

/** The openid-configuration path of a tenant, which MSAL fetches first (protocols.md §8.2). */
export function openIdConfigurationPath(tenantId: string): string {
  return `/${tenantId}/v2.0/.well-known/openid-configuration`
}

/** Matches a token path (any case, one trailing `/`) and captures the tenant segment. */
export const TOKEN_PATH_PATTERN: RegExp = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i

/** Matches an openid-configuration path (any case, one trailing `/`) and captures the tenant segment. */
export const OPENID_CONFIGURATION_PATTERN: RegExp = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i

/** The tenant segment of `path` as received (case kept, runs of `/` collapsed), or `''`. */
export function tenantSegment(path: string, pattern: RegExp): string {
  return pattern.exec(path.replace(/\/{2,}/g, '/'))?.[1] ?? ''
}
