/**
 * The App Service source: one `GET {endpoint}?resource=…&api-version=…` per call, in the 2019-08-01
 * dialect (protocols.md §3) or the legacy 2017-09-01 one (§4).
 *
 * @module
 */
import {
  parseTokenResponse,
  type HttpClient,
  type SourceRequest,
  type SourceToken,
  type TokenSource,
} from '@keyless/core'
import { APP_SERVICE_RETRY_POLICY } from './app-service-retry-policy.js'

/** The api-version of `IDENTITY_ENDPOINT` (App Service, Functions, Container Apps). */
export const APP_SERVICE_API_VERSION = '2019-08-01'
/** The api-version of the legacy `MSI_ENDPOINT` (older App Service, Linux Consumption plans). */
export const LEGACY_APP_SERVICE_API_VERSION = '2017-09-01'

/** The two dialects of the App Service identity endpoint, by api-version. */
export type AppServiceApiVersion = typeof APP_SERVICE_API_VERSION | typeof LEGACY_APP_SERVICE_API_VERSION

/**
 * Which user-assigned identity to ask for, by its query parameter; none means system-assigned.
 * 2019-08-01 takes `client_id`, `principal_id` or `mi_res_id`; 2017-09-01 only `clientid`.
 */
export type AppServiceSelector =
  | { readonly param: 'client_id'; readonly value: string }
  | { readonly param: 'principal_id'; readonly value: string }
  | { readonly param: 'mi_res_id'; readonly value: string }
  | { readonly param: 'clientid'; readonly value: string }

/** What {@link appServiceSource} needs; `appService()` builds it from options and environment. */
export interface AppServiceSourceOptions {
  /** `IDENTITY_ENDPOINT` or `MSI_ENDPOINT`, parsed; its path and any query are kept as they are. */
  readonly endpoint: URL
  readonly apiVersion: AppServiceApiVersion
  readonly selector: AppServiceSelector | undefined
  /**
   * `IDENTITY_HEADER` or `MSI_SECRET`, sent as `X-IDENTITY-HEADER` or `secret`. The source keeps
   * it in a closure: it is no property of the source and never reaches an error or `describe()`.
   */
  readonly header: string
  readonly http: HttpClient
}

/**
 * Makes the App Service source for one endpoint, dialect and identity. Callers use `appService()`,
 * which validates the options and the environment first and wraps this in the token engine.
 *
 * @example
 * ```ts
 * const source = appServiceSource({
 *   endpoint: new URL('http://127.0.0.1:41741/msi/token'),
 *   apiVersion: APP_SERVICE_API_VERSION,
 *   selector: undefined,
 *   header: process.env.IDENTITY_HEADER ?? '',
 *   http,
 * })
 * ```
 */
export function appServiceSource(options: AppServiceSourceOptions): TokenSource {
  // `header` lives on only in this closure: no property of the source holds it.
  const { endpoint, apiVersion, selector, header, http } = options
  const secretHeaders: Readonly<Record<string, string>> = apiVersion === APP_SERVICE_API_VERSION ? { 'X-IDENTITY-HEADER': header } : { secret: header }
  const label = `${endpoint.host}${endpoint.pathname}`
  const who = selector === undefined ? 'system-assigned' : `user-assigned by ${selector.param}`
  return {
    kind: 'app-service',
    identity: `app-service|${endpoint.origin}${endpoint.pathname}|${selector === undefined ? 'system' : `${selector.param}=${selector.value}`}`,
    retryPolicy: APP_SERVICE_RETRY_POLICY,
    describe: () => `app-service (${apiVersion}, ${who}) at ${label}`,
    async fetchToken(request: SourceRequest): Promise<SourceToken> {
      const url = tokenUrl(endpoint, [
        // The documented order (protocols.md §3, §4): resource, api-version, then the selector.
        ['resource', request.resource],
        ['api-version', apiVersion],
        ...(selector === undefined ? [] : [[selector.param, selector.value] as const]),
      ])
      // Neither dialect has a claims parameter: a claims challenge just bypasses the cache.
      // No `Metadata` header: App Service does not want one (§3); MSAL's Azure ML source adds it, we are not that.
      const now = Date.now()
      // Core withholds request header values from errors, so an endpoint echoing the header cannot leak it.
      const response = await http.request({ method: 'GET', url, headers: secretHeaders, signal: request.signal })
      // parseTokenResponse reads 2019's epoch-seconds string and 2017's "MM/DD/YYYY hh:mm:ss PM +00:00".
      return parseTokenResponse(response.body, { source: 'app-service', now })
    },
    close: () => http.close(),
  }
}

/**
 * The endpoint URL as the platform gave it (path case and trailing slash kept, protocols.md §3),
 * with the parameters appended after any query it already has, encoded as MSAL does
 * (`encodeURIComponent`).
 */
function tokenUrl(endpoint: URL, params: readonly (readonly [string, string])[]): URL {
  const url = new URL(endpoint)
  url.hash = ''
  const query = params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')
  url.search = endpoint.search.length > 1 ? `${endpoint.search.slice(1)}&${query}` : query
  return url
}
