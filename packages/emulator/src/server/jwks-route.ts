/**
 * Serves the emulator's public signing key as a JWKS.
 *
 * @module
 */
import type { Jwks } from '../tokens/token-signer.js'
import { normalizePath } from './request-target.js'
import type { Route } from './route.js'
import { serveGetJson } from './route.js'

/** The well-known JWKS path, served besides the Entra-style one. */
export const WELL_KNOWN_JWKS_PATH = '/.well-known/jwks.json'

/** The Entra-style JWKS path of a tenant. */
export function tenantJwksPath(tenantId: string): string {
  return `/${tenantId}/discovery/v2.0/keys`
}

/** The JWKS at {@link WELL_KNOWN_JWKS_PATH} and at the tenant's Entra-style path; internal. */
export function jwksRoute(tenantId: string, jwks: Jwks): Route {
  const paths = new Set([WELL_KNOWN_JWKS_PATH, normalizePath(tenantJwksPath(tenantId))])
  return {
    endpoint: 'jwks',
    matches: (normalizedPath) => paths.has(normalizedPath),
    serve: (exchange) => serveGetJson(exchange, () => jwks, { 'Cache-Control': 'max-age=3600' }),
  }
}
