/**
 * `imds()`: tokens from the Azure Instance Metadata Service of a VM or VM scale set.
 *
 * @module
 */
import {
  assertSafeIdentifier,
  configError,
  createHttpClient,
  createTokenProvider,
  type KeylessTokenProvider,
  type TokenProviderOptions,
} from '@keyless/core'
import type { Dispatcher } from 'undici'
import { IMDS_RETRY_POLICY } from './imds-retry-policy.js'
import { imdsSource, type ImdsSelector } from './imds-source.js'

/** The IMDS token endpoint on every Azure VM. Never reached by keyless's tests, demo or benchmarks. */
export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token'
/** The token path under an authority host given without a path. */
export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token'
/** The variable `@azure/identity` honours to move IMDS elsewhere (AAD Pod Identity, emulators). */
export const AZURE_POD_IDENTITY_AUTHORITY_HOST = 'AZURE_POD_IDENTITY_AUTHORITY_HOST'
/** IMDS allows 5 concurrent requests per VM; keyless never opens more connections than that. */
export const IMDS_MAX_CONNECTIONS = 5

/** Options of {@link imds}. */
export interface ImdsOptions extends TokenProviderOptions {
  /** A user-assigned identity by client id. At most one of `clientId`, `objectId`, `resourceId`. */
  clientId?: string
  /** A user-assigned identity by object (principal) id. */
  objectId?: string
  /** A user-assigned identity by ARM resource id. */
  resourceId?: string
  /**
   * Where IMDS is: a base URL (`http://127.0.0.1:8080`, the token path is added) or a full token URL.
   * Default: `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else {@link IMDS_DEFAULT_ENDPOINT}.
   */
  endpoint?: string
  /** An undici dispatcher for every request (tests, custom agents). Default: keyless's own Agent. */
  dispatcher?: Dispatcher
}

/**
 * Makes a provider that gets tokens from IMDS: cached, refreshed in the background, retried per
 * Microsoft's IMDS guidance (404, 408, 410 for 70 s, 429 with `Retry-After`, 5xx, network errors),
 * never more than 5 requests at once. Options are checked now: bad ones throw a `config` error.
 *
 * @example
 * ```ts
 * import { imds } from '@keyless/imds'
 *
 * const provider = imds({ clientId: process.env.APP_IDENTITY_CLIENT_ID })
 * const { token } = await provider.getToken('https://vault.azure.net/.default')
 * ```
 */
export function imds(options: ImdsOptions = {}): KeylessTokenProvider {
  const selector = selectorOf(options)
  const endpoint = endpointOf(options.endpoint ?? process.env[AZURE_POD_IDENTITY_AUTHORITY_HOST] ?? IMDS_DEFAULT_ENDPOINT)
  const http = createHttpClient({
    source: 'imds',
    retryableStatuses: IMDS_RETRY_POLICY.retryableStatuses,
    dispatcher: options.dispatcher,
    connections: IMDS_MAX_CONNECTIONS,
  })
  return createTokenProvider(imdsSource(endpoint, selector, http), options)
}

function selectorOf(options: ImdsOptions): ImdsSelector | undefined {
  const given = (['clientId', 'objectId', 'resourceId'] as const).filter((name) => options[name] !== undefined)
  if (given.length > 1) throw configError(`imds: give at most one of clientId, objectId, resourceId (got ${given.join(', ')})`, 'imds')
  if (options.clientId !== undefined) return { param: 'client_id', value: assertSafeIdentifier(options.clientId, 'clientId', 'imds') }
  if (options.objectId !== undefined) return { param: 'object_id', value: assertSafeIdentifier(options.objectId, 'objectId', 'imds') }
  if (options.resourceId !== undefined) return { param: 'msi_res_id', value: assertSafeIdentifier(options.resourceId, 'resourceId', 'imds') }
  return undefined
}

function endpointOf(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw configError('imds: the endpoint is not a valid URL; give a base such as http://127.0.0.1:8080', 'imds')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('imds: the endpoint must be http or https', 'imds')
  if (url.username !== '' || url.password !== '') throw configError('imds: the endpoint must not hold credentials', 'imds')
  if (url.pathname === '/' || url.pathname === '') url.pathname = IMDS_TOKEN_PATH
  return url
}
