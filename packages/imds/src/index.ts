/**
 * `@keyless/imds`: managed-identity tokens from the Azure Instance Metadata Service.
 *
 * @module
 */
export { AZURE_POD_IDENTITY_AUTHORITY_HOST, IMDS_DEFAULT_ENDPOINT, IMDS_MAX_CONNECTIONS, IMDS_TOKEN_PATH, imds, type ImdsOptions } from './imds.js'
export { IMDS_RETRY_POLICY } from './imds-retry-policy.js'
export { IMDS_API_VERSION, imdsSource, type ImdsSelector } from './imds-source.js'
