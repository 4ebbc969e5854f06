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
import { resolveImdsEndpoint, type IMDS_DEFAULT_ENDPOINT } from './imds-endpoint.js'
import { IMDS_RETRY_POLICY } from './imds-retry-policy.js'
import { imdsSource, type ImdsSelector } from './imds-source.js'

/** IMDS allows 5 concurrent requests per VM; keyless never opens more connections than that. */
export const IMDS_MAX_CONNECTIONS = 5

/** Options of {@link imds}. */
export interface ImdsOptions extends TokenProviderOptions {
  /** A user-assigned identity by client id. At most one of `clientId`, `objectId`, `resourceId`. */
  clientId?: string | undefined
  /** A user-assigned identity by object (principal) id. */
  objectId?: string | undefined
  /** A user-assigned identity by ARM resource id. */
  resourceId?: string | undefined
  /**
   * Where IMDS is: a base URL (`http://127.0.0.1:8080`, the token path is added) or a full token URL.
   * Default: `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else {@link IMDS_DEFAULT_ENDPOINT}.
   */
  endpoint?: string | undefined
  /** An undici dispatcher for every request (tests, custom agents). Default: keyless's own Agent. */
  dispatcher?: Dispatcher | undefined
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
  const endpoint = resolveImdsEndpoint(options.endpoint)
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
