/**
 * `@keyless/workload-identity`: tokens for AKS pods with Workload Identity, from a federated
 * client-assertion exchange at Entra ID.
 *
 * @module
 */
export {
  AZURE_AUTHORITY_HOST,
  AZURE_CLIENT_ID,
  AZURE_FEDERATED_TOKEN_FILE,
  AZURE_TENANT_ID,
  DEFAULT_AUTHORITY_HOST,
  DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS,
  workloadIdentity,
  type WorkloadIdentityOptions,
} from './workload-identity.js'
export { ENTRA_RETRY_POLICY } from './entra-retry-policy.js'
export { JWT_BEARER_ASSERTION_TYPE, workloadIdentitySource, type WorkloadIdentitySourceConfig } from './workload-identity-source.js'
export { createTokenFile, MAX_TOKEN_FILE_BYTES, type TokenFile, type TokenFileOptions } from './token-file.js'
