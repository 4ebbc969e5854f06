/**
 * Where the App Service identity endpoint is and which dialect it speaks, from the options and the
 * environment (protocols.md §1.1, §3, §4), with every value checked before it can reach a request.
 *
 * @module
 */
import { configError, IMDS_HOST, isLinkLocalIPv4, isLoopbackHost } from '@keyless/core'
import { APP_SERVICE_API_VERSION, LEGACY_APP_SERVICE_API_VERSION, type AppServiceApiVersion } from './app-service-source.js'

/** The 2019-08-01 endpoint URL, set by App Service, Functions and Container Apps. */
export const IDENTITY_ENDPOINT = 'IDENTITY_ENDPOINT'
/** The 2019-08-01 anti-SSRF value, sent as `X-IDENTITY-HEADER`; the platform rotates it. A secret. */
export const IDENTITY_HEADER = 'IDENTITY_HEADER'
/** The legacy 2017-09-01 endpoint URL. */
export const MSI_ENDPOINT = 'MSI_ENDPOINT'
/** The legacy 2017-09-01 value, sent as `secret`. A secret. */
export const MSI_SECRET = 'MSI_SECRET'
/** Set beside `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` by Service Fabric, whose dialect this package does not speak. */
export const IDENTITY_SERVER_THUMBPRINT = 'IDENTITY_SERVER_THUMBPRINT'

/** Longest header value accepted; the platform's are GUID- or base64-sized. */
export const MAX_APP_SERVICE_HEADER_LENGTH = 4096

/** What {@link appServiceEnvironment} found. Internal: it holds the header value. */
export type AppServiceEnvironment =
  | { readonly found: true; readonly apiVersion: AppServiceApiVersion; readonly endpoint: URL; readonly header: string; readonly endpointName: string }
  | { readonly found: false; readonly why: string }

const CONTROL = /[\u0000-\u001f\u007f]/
const PRINTABLE_TRIMMED = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/

/**
 * Picks the endpoint, header and dialect. An `endpoint` or `header` option means 2019-08-01, the
 * other half coming from `IDENTITY_ENDPOINT` / `IDENTITY_HEADER` when not given. Else
 * `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` mean 2019-08-01 (unless `IDENTITY_SERVER_THUMBPRINT` says
 * Service Fabric), else `MSI_ENDPOINT` + `MSI_SECRET` mean 2017-09-01, else nothing is found and
 * `why` names the missing variables. A variable set to the empty string counts as set (MSAL's rule,
 * protocols.md §1.1), so it fails the checks below instead of being skipped.
 *
 * Throws a `config` error, naming the variable or option but never its value, when the endpoint is
 * not a URL, holds credentials, is neither https nor http to a loopback host, or when the header is
 * empty, too long, or not printable ASCII (CR, LF and other control characters included).
 *
 * @example
 * ```ts
 * const where = appServiceEnvironment({}, process.env)
 * if (where.found) console.log(where.apiVersion, where.endpoint.host)
 * ```
 */
export function appServiceEnvironment(
  options: { readonly endpoint?: string | undefined; readonly header?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): AppServiceEnvironment {
  if (options.endpoint !== undefined || options.header !== undefined) {
    const endpointName = options.endpoint === undefined ? IDENTITY_ENDPOINT : 'the `endpoint` option'
    const headerName = options.header === undefined ? IDENTITY_HEADER : 'the `header` option'
    const endpoint = options.endpoint ?? env[IDENTITY_ENDPOINT]
    const header = options.header ?? env[IDENTITY_HEADER]
    if (endpoint === undefined) throw configError('app-service: `header` was given without an endpoint; pass `endpoint` too or set IDENTITY_ENDPOINT', 'app-service')
    if (header === undefined) throw configError('app-service: `endpoint` was given without a header; pass `header` too or set IDENTITY_HEADER', 'app-service')
    return found(APP_SERVICE_API_VERSION, endpoint, endpointName, header, headerName)
  }
  const isSet = (name: string): boolean => env[name] !== undefined
  if (isSet(IDENTITY_ENDPOINT) && isSet(IDENTITY_HEADER)) {
    if (isSet(IDENTITY_SERVER_THUMBPRINT)) {
      return {
        found: false,
        why: `${IDENTITY_SERVER_THUMBPRINT} is set beside ${IDENTITY_ENDPOINT} and ${IDENTITY_HEADER}: this is Service Fabric, whose token endpoint keyless does not speak`,
      }
    }
    return found(APP_SERVICE_API_VERSION, env[IDENTITY_ENDPOINT], IDENTITY_ENDPOINT, env[IDENTITY_HEADER], IDENTITY_HEADER)
  }
  if (isSet(MSI_ENDPOINT) && isSet(MSI_SECRET)) {
    return found(LEGACY_APP_SERVICE_API_VERSION, env[MSI_ENDPOINT], MSI_ENDPOINT, env[MSI_SECRET], MSI_SECRET)
  }
  const pairs: readonly (readonly [string, string])[] = [
    [IDENTITY_ENDPOINT, IDENTITY_HEADER],
    [MSI_ENDPOINT, MSI_SECRET],
  ]
  const halves = pairs
    .filter(([a, b]) => isSet(a) !== isSet(b))
    .map(([a, b]) => (isSet(a) ? `${a} is set but ${b} is not` : `${b} is set but ${a} is not`))
  return {
    found: false,
    why: [`neither ${IDENTITY_ENDPOINT} + ${IDENTITY_HEADER} (2019-08-01) nor ${MSI_ENDPOINT} + ${MSI_SECRET} (2017-09-01) is set`, ...halves].join('; '),
  }
}

function found(apiVersion: AppServiceApiVersion, endpoint: string | undefined, endpointName: string, header: string | undefined, headerName: string): AppServiceEnvironment {
  return { found: true, apiVersion, endpoint: endpointOf(endpoint, endpointName), header: headerOf(header, headerName), endpointName }
}

function endpointOf(value: string | undefined, name: string): URL {
  const fail = (problem: string): never => {
    throw configError(`app-service: ${name} ${problem}`, 'app-service')
  }
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    // The value is not quoted: a mangled variable could hold anything.
  }
  if (url === undefined) return fail('is not a valid URL; expected the token URL the platform set, such as http://127.0.0.1:41741/msi/token')
  if (url.username !== '' || url.password !== '') return fail('must not hold credentials (user:password@)')
  if (url.protocol === 'https:') return url
  if (url.protocol !== 'http:') return fail('must be an http or https URL')
  // The identity header goes to this endpoint: over plain http only to this host or its link
  // (App Service on Linux, Functions and Container Apps set http://169.254.129.2:8081/msi/token and
  // the like), written as an address, so no DNS answer or proxy can ever receive it; never to
  // IMDS's own address (SSRF).
  if (isLoopbackHost(url.hostname)) return url
  if (isLinkLocalIPv4(url.hostname) && url.hostname !== IMDS_HOST) return url
  return fail(`is plain http to ${url.hostname}, which is neither a loopback nor a link-local address (other than IMDS's); use https, or the URL the platform set`)
}

function headerOf(value: string | undefined, name: string): string {
  const fail = (problem: string): never => {
    throw configError(`app-service: ${name} ${problem}; set it to the value the platform gave, unchanged`, 'app-service')
  }
  if (typeof value !== 'string') return fail('must be a string')
  if (value === '') return fail('is empty')
  if (value.length > MAX_APP_SERVICE_HEADER_LENGTH) return fail(`is longer than ${MAX_APP_SERVICE_HEADER_LENGTH} characters`)
  if (CONTROL.test(value)) return fail('contains a control character (CR, LF, tab, ...)')
  if (!PRINTABLE_TRIMMED.test(value)) return fail('must be printable ASCII with no leading or trailing space')
  return value
}
