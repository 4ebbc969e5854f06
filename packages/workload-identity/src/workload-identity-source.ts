/**
 * The Workload Identity source: one client-credentials POST to Entra ID v2.0 per call, with the
 * projected service-account token as the client assertion (protocols.md §8.2).
 *
 * @module
 */
import { parseTokenResponse, type HttpClient, type SourceRequest, type SourceToken, type TokenSource } from '@keyless/core'
import { ENTRA_RETRY_POLICY } from './entra-retry-policy.js'
import type { TokenFile } from './token-file.js'

/** The `client_assertion_type` of a JWT client assertion (RFC 7523). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

const SOURCE = 'workload-identity'
const DEFAULT_SUFFIX = '/.default'

/** What {@link workloadIdentitySource} needs, already validated. */
export interface WorkloadIdentitySourceConfig {
  /** The authority, its path ending in `/` (`https://login.microsoftonline.com/`). */
  readonly authority: URL
  /** A tenant id (GUID) or a domain, safe as one path segment. */
  readonly tenantId: string
  /** The application (client) id the service account is federated with. */
  readonly clientId: string
  /** Where the assertion comes from. `close()` closes it. */
  readonly tokenFile: TokenFile
  /** The HTTP client to POST with. `close()` closes it. */
  readonly http: HttpClient
}

/**
 * Makes the Workload Identity source for one tenant and client. Callers use `workloadIdentity()`,
 * which validates the options first and wraps this in the token engine.
 *
 * Each `fetchToken` reads the assertion (from memory unless the file changed) and POSTs
 * `{authority}/{tenant}/oauth2/v2.0/token` with `client_id`, `scope` (a v1 resource gets
 * `/.default` appended), `grant_type=client_credentials`, `client_assertion_type`,
 * `client_assertion` and, for a claims challenge, `claims`. No discovery request is made: the
 * token endpoint's path is fixed by Entra ID v2.0.
 *
 * @example
 * ```ts
 * const source = workloadIdentitySource({ authority: new URL('https://login.microsoftonline.com/'), tenantId, clientId, tokenFile, http })
 * const provider = createTokenProvider(source)
 * ```
 */
export function workloadIdentitySource(config: WorkloadIdentitySourceConfig): TokenSource {
  const { authority, tenantId, clientId, tokenFile, http } = config
  const tokenUrl = new URL(`${encodeURIComponent(tenantId)}/oauth2/v2.0/token`, authority)
  const authorityLabel = authority.href.endsWith('/') ? authority.href.slice(0, -1) : authority.href
  return {
    kind: SOURCE,
    identity: `${SOURCE}|${authorityLabel}|${tenantId}|${clientId}`,
    retryPolicy: ENTRA_RETRY_POLICY,
    describe: () => `${SOURCE} (client ${clientId} in tenant ${tenantId}) at ${authority.host}`,
    async fetchToken(request: SourceRequest): Promise<SourceToken> {
      const assertion = await tokenFile.read()
      const form = new URLSearchParams({
        client_id: clientId,
        scope: v2Scope(request),
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: assertion,
      })
      if (request.claims !== undefined) form.set('claims', request.claims)
      const sentAt = Date.now()
      const response = await http.request({
        method: 'POST',
        url: tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: request.signal,
      })
      // Entra sends `expires_in` (a number) and sometimes `refresh_in`, both relative to the request.
      return parseTokenResponse(response.body, { source: SOURCE, now: sentAt })
    },
    async close(): Promise<void> {
      tokenFile.close()
      await http.close()
    },
  }
}

/**
 * The client-credentials flow takes only `{resource}/.default` scopes. A v1 resource gets the
 * suffix appended as is, so `https://management.azure.com/` becomes
 * `https://management.azure.com//.default`, which is what Entra expects for a resource whose
 * identifier ends in a slash.
 */
function v2Scope(request: SourceRequest): string {
  return `${request.resource}${DEFAULT_SUFFIX}` // `resource` is the scope without its `/.default`
}
