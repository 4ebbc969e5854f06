/**
 * The environment that points an app at one credential source of the emulator.
 *
 * @module
 */
import { EmulatorError } from './emulator-error.js'
import type { AppServiceEndpoint, EntraEndpoint, LegacyAppServiceEndpoint } from './emulator.js'
import {
  ENV_AZURE_AUTHORITY_HOST,
  ENV_AZURE_CLIENT_ID,
  ENV_AZURE_FEDERATED_TOKEN_FILE,
  ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST,
  ENV_AZURE_TENANT_ID,
  ENV_IDENTITY_ENDPOINT,
  ENV_IDENTITY_HEADER,
  ENV_MSI_ENDPOINT,
  ENV_MSI_SECRET,
  ENV_NODE_EXTRA_CA_CERTS,
} from './env-names.js'
import { EMULATOR_SOURCES } from './token-endpoint.js'
import type { EmulatorSource } from './token-endpoint.js'

/** The endpoints the environments name; internal. */
export interface SourceEndpoints {
  readonly url: string
  readonly appService: AppServiceEndpoint
  readonly legacyAppService: LegacyAppServiceEndpoint
  readonly entra: EntraEndpoint
}

/** A fresh environment for `source`; throws `ERR_EMULATOR_CONFIG` for an unknown one. */
export function envFor(source: EmulatorSource, endpoints: SourceEndpoints): Record<string, string> {
  switch (source) {
    case 'imds':
      return { [ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]: endpoints.url }
    case 'app-service':
      return { [ENV_IDENTITY_ENDPOINT]: endpoints.appService.endpoint, [ENV_IDENTITY_HEADER]: endpoints.appService.header }
    case 'app-service-2017':
      return { [ENV_MSI_ENDPOINT]: endpoints.legacyAppService.endpoint, [ENV_MSI_SECRET]: endpoints.legacyAppService.secret }
    case 'workload-identity':
      return {
        [ENV_AZURE_CLIENT_ID]: endpoints.entra.clientId,
        [ENV_AZURE_TENANT_ID]: endpoints.entra.tenantId,
        [ENV_AZURE_FEDERATED_TOKEN_FILE]: endpoints.entra.tokenFile,
        [ENV_AZURE_AUTHORITY_HOST]: endpoints.entra.authorityHost,
        [ENV_NODE_EXTRA_CA_CERTS]: endpoints.entra.caFile,
      }
    default:
      throw new EmulatorError('ERR_EMULATOR_CONFIG', `envFor(): unknown source; use one of ${EMULATOR_SOURCES.join(', ')}`)
  }
}
