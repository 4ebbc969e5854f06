/**
 * `appService()`: tokens from the identity endpoint of App Service, Functions and Container Apps.
 *
 * @module
 */
import {
  assertSafeIdentifier,
  configError,
  createHttpClient,
  createTokenProvider,
  resolveProviderOptions,
  unavailableProvider,
  type KeylessTokenProvider,
  type TokenProviderOptions,
} from '@keyless/core'
import type { Dispatcher } from 'undici'
import { appServiceEnvironment } from './app-service-environment.js'
import { APP_SERVICE_RETRY_POLICY } from './app-service-retry-policy.js'
import { APP_SERVICE_API_VERSION, appServiceSource, type AppServiceApiVersion, type AppServiceSelector } from './app-service-source.js'

/** Options of {@link appService}. */
export interface AppServiceOptions extends TokenProviderOptions {
  /**
   * A user-assigned identity by client id (`client_id`; `clientid` on 2017-09-01). At most one of
   * `clientId`, `objectId`, `resourceId`. `AZURE_CLIENT_ID` is not read: pass it here to use it.
   */
  clientId?: string | undefined
  /** A user-assigned identity by object (principal) id (`principal_id`). 2019-08-01 only. */
  objectId?: string | undefined
  /** A user-assigned identity by ARM resource id (`mi_res_id`). 2019-08-01 only. */
  resourceId?: string | undefined
  /**
   * The token URL, used verbatim; implies the 2019-08-01 dialect. Default `IDENTITY_ENDPOINT`
   * (else `MSI_ENDPOINT`). Must be https, or http to a loopback address.
   */
  endpoint?: string | undefined
  /** The `X-IDENTITY-HEADER` value; implies 2019-08-01. Default `IDENTITY_HEADER` (else `MSI_SECRET`). A secret. */
  header?: string | undefined
  /** An undici dispatcher for every request (tests, custom agents). Default: keyless's own Agent. */
  dispatcher?: Dispatcher | undefined
}

/** The source kind: `provider.name`, `error.source`. */
const KIND = 'app-service'

/**
 * Makes a provider that gets tokens from the App Service identity endpoint: cached, refreshed in
 * the background, retried as MSAL's default managed-identity policy does (404, 408, 429 with
 * `Retry-After`, 500, 503, 504, network errors). The dialect comes from the environment, read now:
 * `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (2019-08-01), else `MSI_ENDPOINT` + `MSI_SECRET`
 * (2017-09-01). With neither it returns a provider whose `getToken` rejects with `unavailable`, so
 * a chain moves on. Bad options or malformed variables throw a `config` error now. The header value
 * is never in an error, an event, `stats()`, `describe()` or the printed provider.
 *
 * @example
 * ```ts
 * import { appService } from '@keyless/app-service'
 *
 * const provider = appService({ clientId: process.env.APP_IDENTITY_CLIENT_ID })
 * const { token } = await provider.getToken('https://vault.azure.net/.default')
 * ```
 */
export function appService(options: AppServiceOptions = {}): KeylessTokenProvider {
  // The rest goes to the engine; the header, above all, never does.
  const { clientId, objectId, resourceId, endpoint, header, dispatcher, ...engineOptions } = options
  const identity = identityOf(options)
  const http = createHttpClient({ source: KIND, retryableStatuses: APP_SERVICE_RETRY_POLICY.retryableStatuses, dispatcher })
  const where = appServiceEnvironment({ endpoint, header }, process.env)
  if (!where.found) {
    resolveProviderOptions(engineOptions, APP_SERVICE_RETRY_POLICY, KIND) // bad engine options fail here too
    return unavailableProvider(KIND, where.why)
  }
  const selector = selectorOf(identity, where.apiVersion, where.endpointName)
  const source = appServiceSource({ endpoint: where.endpoint, apiVersion: where.apiVersion, selector, header: where.header, http })
  return createTokenProvider(source, engineOptions)
}

type IdentityOption = { readonly option: 'clientId' | 'objectId' | 'resourceId'; readonly value: string }

function identityOf(ids: Pick<AppServiceOptions, 'clientId' | 'objectId' | 'resourceId'>): IdentityOption | undefined {
  const given = (['clientId', 'objectId', 'resourceId'] as const).filter((name) => ids[name] !== undefined)
  if (given.length > 1) throw configError(`${KIND}: give at most one of clientId, objectId, resourceId (got ${given.join(', ')})`, KIND)
  const [option] = given
  return option === undefined ? undefined : { option, value: assertSafeIdentifier(ids[option], option, KIND) }
}

function selectorOf(identity: IdentityOption | undefined, apiVersion: AppServiceApiVersion, endpointName: string): AppServiceSelector | undefined {
  if (identity === undefined) return undefined
  const { option, value } = identity
  if (apiVersion === APP_SERVICE_API_VERSION) {
    // principal_id is the documented name; MSAL sends the alias object_id (protocols.md §1.3).
    if (option === 'clientId') return { param: 'client_id', value }
    if (option === 'objectId') return { param: 'principal_id', value }
    return { param: 'mi_res_id', value }
  }
  // "only accepted the clientid property" (protocols.md §1.3, §4).
  if (option === 'clientId') return { param: 'clientid', value }
  throw configError(`${KIND}: the legacy 2017-09-01 endpoint (${endpointName}) selects a user-assigned identity by client id only; pass clientId instead of ${option}`, KIND)
}
