/**
 * The tenant's openid-configuration, which MSAL fetches before its first token request to an
 * authority it does not know (protocols.md §8.2).
 *
 * @module
 */
import type { Route } from '../server/route.js'
import { serveGetJson } from '../server/route.js'
import { tenantJwksPath } from '../server/jwks-route.js'
import type { Redactor } from '../server/redactor.js'
import { OPENID_CONFIGURATION_PATTERN, entraTokenPath, tenantSegment } from './entra-constants.js'
import type { EntraErrors } from './entra-errors.js'

/**
 * The document: the four fields MSAL requires (`authorization_endpoint`, `token_endpoint`,
 * `issuer` on the authority's own origin, `jwks_uri`) and the usual Entra companions. Every URL
 * in it is on `authorityHost`, so nothing in it points off the loopback.
 */
export function openIdConfiguration(authorityHost: string, tenantId: string): Record<string, unknown> {
  const base = `${authorityHost}/${tenantId}`
  return {
    token_endpoint: authorityHost + entraTokenPath(tenantId),
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: authorityHost + tenantJwksPath(tenantId),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'ver'],
    tenant_region_scope: null,
  }
}

/** Serves the document for the emulator's tenant and Entra's 400 `invalid_tenant` for any other; internal. */
export function openIdConfigurationRoute(
  authorityHost: () => string,
  tenantId: string,
  errors: EntraErrors,
  redact: Redactor,
): Route {
  return {
    endpoint: 'openid-configuration',
    matches: (normalizedPath) => OPENID_CONFIGURATION_PATTERN.test(normalizedPath),
    serve(exchange) {
      const tenant = tenantSegment(exchange.path, OPENID_CONFIGURATION_PATTERN)
      if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
        const correlationId = exchange.query.get('client-request-id')
        const text = `Tenant '${redact(tenant)}' not found.`
        const body = errors.body('invalid_tenant', 90002, text, correlationId === null ? null : redact(correlationId))
        exchange.reply(400, body)
        return
      }
      serveGetJson(exchange, () => openIdConfiguration(authorityHost(), tenantId))
    },
  }
}
