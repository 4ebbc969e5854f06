/**
 * The IMDS source: one `GET /metadata/identity/oauth2/token` per call, as protocols.md §2 says.
 *
 * @module
 */
import { parseTokenResponse, type HttpClient, type SourceRequest, type SourceToken, type TokenSource } from '@keyless/core'
import { IMDS_RETRY_POLICY } from './imds-retry-policy.js'

/** The api-version keyless sends; the one `/metadata/identity` was introduced with. */
export const IMDS_API_VERSION = '2018-02-01'

/** Which user-assigned identity to ask for, by its IMDS query parameter; none means system-assigned. */
export type ImdsSelector =
  | { readonly param: 'client_id'; readonly value: string }
  | { readonly param: 'object_id'; readonly value: string }
  | { readonly param: 'msi_res_id'; readonly value: string }

/**
 * Makes the IMDS source for one endpoint and identity. Callers use `imds()`, which validates the
 * options first and wraps this in the token engine.
 *
 * @example
 * ```ts
 * const source = imdsSource(new URL('http://127.0.0.1:8080/metadata/identity/oauth2/token'), undefined, http)
 * ```
 */
export function imdsSource(endpoint: URL, selector: ImdsSelector | undefined, http: HttpClient): TokenSource {
  const label = `${endpoint.host}${endpoint.pathname}`
  const who = selector === undefined ? 'system-assigned' : `user-assigned by ${selector.param}`
  return {
    kind: 'imds',
    identity: `imds|${endpoint.origin}${endpoint.pathname}|${selector === undefined ? 'system' : `${selector.param}=${selector.value}`}`,
    retryPolicy: IMDS_RETRY_POLICY,
    describe: () => `imds (${who}) at ${label}`,
    async fetchToken(request: SourceRequest): Promise<SourceToken> {
      const url = new URL(endpoint)
      // The order MSAL and @azure/identity use: api-version, resource, then the selector (§1.7).
      url.searchParams.set('api-version', IMDS_API_VERSION)
      url.searchParams.set('resource', request.resource)
      if (selector !== undefined) url.searchParams.set(selector.param, selector.value)
      // IMDS 2018-02-01 has no claims parameter: a claims challenge just bypasses the cache.
      const response = await http.request({ method: 'GET', url, headers: { Metadata: 'true' }, signal: request.signal })
      return parseTokenResponse(response.body, { source: 'imds', now: Date.now() })
    },
    close: () => http.close(),
  }
}
