/**
 * The legacy App Service 2017-09-01 token protocol (`MSI_ENDPOINT`, `MSI_SECRET`;
 * protocols.md §4). Azure ML speaks it too, adding `Metadata: true`, which is accepted.
 *
 * @module
 */
import type { IdentityRegistry } from '../identity/identity-registry.js'
import type { TokenDialect } from '../server/token-dialect.js'
import {
  LEGACY_APP_SERVICE_API_VERSION,
  LEGACY_APP_SERVICE_SECRET_HEADER_NAME,
  LEGACY_APP_SERVICE_TOKEN_PATH,
} from './app-service-constants.js'
import { appServiceErrorBody, legacyTokenBody } from './app-service-responses.js'
import { checkAppServiceRequest } from './check-app-service-request.js'
import type { AppServiceRules } from './check-app-service-request.js'

/** Builds the 2017-09-01 dialect, which requires `secret: secret`; internal. */
export function createLegacyAppServiceDialect(identities: IdentityRegistry, secret: string): TokenDialect {
  const rules: AppServiceRules = {
    apiVersion: LEGACY_APP_SERVICE_API_VERSION,
    headerName: LEGACY_APP_SERVICE_SECRET_HEADER_NAME,
    secret,
    // "only accepted the clientid property" (protocols.md §1.3); the 2019 names are refused so a
    // client that sends them learns it, instead of silently getting the default identity.
    selectors: [['clientid', 'clientId']],
    refusedSelectors: ['client_id', 'principal_id', 'object_id', 'mi_res_id', 'msi_res_id'],
    identities,
  }
  return {
    name: 'app-service-2017',
    matches: (normalizedPath) => normalizedPath === LEGACY_APP_SERVICE_TOKEN_PATH,
    check: (exchange) => checkAppServiceRequest(exchange, rules),
    successBody: legacyTokenBody,
    errorBody: appServiceErrorBody,
  }
}
