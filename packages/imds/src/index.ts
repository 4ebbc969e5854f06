/**
 * `@keyless/imds`: managed-identity tokens from the Azure Instance Metadata Service.
 *
 * @module
 */
export { IMDS_MAX_CONNECTIONS, imds, type ImdsOptions } from './imds.js'
export { AZURE_POD_IDENTITY_AUTHORITY_HOST, IMDS_DEFAULT_ENDPOINT, IMDS_TOKEN_PATH, resolveImdsEndpoint } from './imds-endpoint.js'
export { IMDS_RETRY_POLICY } from './imds-retry-policy.js'
export { IMDS_API_VERSION, imdsSource, type ImdsSelector } from './imds-source.js'
export { DEFAULT_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS, probeImds, type ProbeImdsOptions } from './probe-imds.js'
