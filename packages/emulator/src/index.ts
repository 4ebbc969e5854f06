/**
 * `@keyless/emulator`: a loopback emulator of Azure managed-identity token endpoints (IMDS), with
 * fault injection, for tests and benchmarks.
 *
 * @module
 */
export { startEmulator } from './start-emulator.js'
export type { Emulator } from './emulator.js'
export { DEFAULT_SYSTEM_ASSIGNED, DEFAULT_TENANT_ID, DEFAULT_TOKEN_LIFETIME_MS } from './emulator-options.js'
export type { EmulatorOptions, ManagedIdentity } from './emulator-options.js'
export { EmulatorError } from './emulator-error.js'
export type { EmulatorErrorCode } from './emulator-error.js'
export { ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST } from './env-names.js'
export type { Faults } from './faults/fault-controller.js'
export { DEFAULT_OVERSIZED_BYTES } from './faults/fault-step.js'
export type { FaultKind, FaultStep, StatusFaultStep } from './faults/fault-step.js'
export type { AdminFaultsBody } from './admin/admin-handler.js'
export { ADMIN_PATH_PREFIX } from './admin/admin-handler.js'
export {
  IMDS_MAX_CONCURRENT_REQUESTS,
  IMDS_MAX_REQUESTS_PER_SECOND,
  IMDS_MIN_API_VERSION,
  IMDS_TOKEN_PATH,
} from './imds/imds-constants.js'
export { MAX_LOGGED_REQUESTS } from './server/request-log.js'
export type { EmulatorCounters, RequestLogEntry } from './server/request-log.js'
export { WELL_KNOWN_JWKS_PATH } from './server/create-request-handler.js'
export type { EmulatorTokenClaims } from './tokens/token-claims.js'
export type { Jwks, VerifyTokenOptions } from './tokens/token-signer.js'
