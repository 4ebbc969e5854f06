/**
 * `@keyless/emulator`: a loopback emulator of Azure managed-identity token endpoints (IMDS, App
 * Service 2019-08-01 and 2017-09-01, and the Entra v2.0 authority of AKS Workload Identity), with
 * fault injection, for tests and benchmarks.
 *
 * @module
 */
export { startEmulator } from './start-emulator.js'
export type { AppServiceEndpoint, Emulator, EntraEndpoint, LegacyAppServiceEndpoint } from './emulator.js'
export { DEFAULT_SYSTEM_ASSIGNED, DEFAULT_TENANT_ID, DEFAULT_TOKEN_LIFETIME_MS } from './emulator-options.js'
export type { EmulatorOptions, ManagedIdentity } from './emulator-options.js'
export { DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS, DEFAULT_WORKLOAD_IDENTITY } from './workload-identity-options.js'
export type { WorkloadIdentityOptions } from './workload-identity-options.js'
export { EmulatorError } from './emulator-error.js'
export type { EmulatorErrorCode } from './emulator-error.js'
export {
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
export { EMULATOR_SOURCES, TOKEN_ENDPOINTS } from './token-endpoint.js'
export type { EmulatorSource, RequestEndpoint, TokenEndpoint } from './token-endpoint.js'
export type { Faults } from './faults/fault-controller.js'
export { DEFAULT_FAR_LIFETIME_S, DEFAULT_OVERSIZED_BYTES, DEFAULT_TRICKLE_INTERVAL_MS } from './faults/fault-step.js'
export type { FaultKind, FaultStep, StatusFaultStep } from './faults/fault-step.js'
export type { AdminFaultsBody } from './admin/admin-handler.js'
export { ADMIN_PATH_PREFIX } from './admin/admin-handler.js'
export {
  IMDS_MAX_CONCURRENT_REQUESTS,
  IMDS_MAX_REQUESTS_PER_SECOND,
  IMDS_MIN_API_VERSION,
  IMDS_TOKEN_PATH,
} from './imds/imds-constants.js'
export {
  APP_SERVICE_API_VERSION,
  APP_SERVICE_HEADER_NAME,
  APP_SERVICE_TOKEN_PATH,
  LEGACY_APP_SERVICE_API_VERSION,
  LEGACY_APP_SERVICE_SECRET_HEADER_NAME,
  LEGACY_APP_SERVICE_TOKEN_PATH,
} from './app-service/app-service-constants.js'
export { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_ASSERTION_TYPE } from './entra/entra-constants.js'
export {
  SERVICE_ACCOUNT_AUDIENCE,
  SERVICE_ACCOUNT_ISSUER,
  SERVICE_ACCOUNT_SUBJECT,
} from './workload-identity/projected-token-file.js'
export { MAX_LOGGED_REQUESTS } from './server/request-log.js'
export type { EmulatorCounters, RequestLogEntry } from './server/request-log.js'
export { WELL_KNOWN_JWKS_PATH } from './server/jwks-route.js'
export type { EmulatorTokenClaims } from './tokens/token-claims.js'
export type { Jwks, VerifyTokenOptions } from './tokens/token-signer.js'
export { createLoopbackCertificates } from './tls/loopback-certificates.js'
export type { LoopbackCertificates } from './tls/loopback-certificates.js'
