/**
 * The App Service / Azure Functions 2019-08-01 token protocol (`IDENTITY_ENDPOINT`,
 * `IDENTITY_HEADER`; protocols.md §3).
 *
 * @module
 */
import type { IdentityRegistry } from '../identity/identity-registry.js'
import type { TokenDialect } from '../server/token-dialect.js'
import { APP_SERVICE_API_VERSION, APP_SERVICE_HEADER_NAME, APP_SERVICE_TOKEN_PATH } from './app-service-constants.js'
import { appServiceErrorBody, appServiceTokenBody } from './app-service-responses.js'
import { checkAppServiceRequest } from './check-app-service-request.js'
import type { AppServiceRules } from './check-app-service-request.js'

/** Builds the 2019-08-01 dialect, which requires `X-IDENTITY-HEADER: header`; internal. */
export function createAppServiceDialect(identities: IdentityRegistry, header: string): TokenDialect {
  const rules: AppServiceRules = {
    apiVersion: APP_SERVICE_API_VERSION,
    headerName: APP_SERVICE_HEADER_NAME,
    secret: header,
    // `principal_id` is the documented name, `object_id` the alias MSAL sends (protocols.md §1.3).
    selectors: [
      ['client_id', 'clientId'],
      ['principal_id', 'objectId'],
      ['object_id', 'objectId'],
      ['mi_res_id', 'resourceId'],
    ],
    refusedSelectors: ['clientid', 'msi_res_id'],
    identities,
  }
  return {
    name: 'app-service',
    matches: (normalizedPath) => normalizedPath === APP_SERVICE_TOKEN_PATH,
    check: (exchange) => checkAppServiceRequest(exchange, rules),
    successBody: appServiceTokenBody,
    errorBody: appServiceErrorBody,
  }
}
