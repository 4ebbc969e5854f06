/**
 * Names of the environment variables the emulator prints and returns from `emulator.env` and `emulator.envFor()`.
 *
 * @module
 */

/**
 * The only IMDS endpoint override `@azure/identity` v4 honours (protocols.md §2, §9.2). Plain
 * http is accepted for it; never put an http `AZURE_AUTHORITY_HOST` next to it.
 */
export const ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST = 'AZURE_POD_IDENTITY_AUTHORITY_HOST'


/** App Service 2019-08-01: the token endpoint URL (protocols.md §3). */
export const ENV_IDENTITY_ENDPOINT = 'IDENTITY_ENDPOINT'

/** App Service 2019-08-01: the value of the `X-IDENTITY-HEADER` header. A secret. */
export const ENV_IDENTITY_HEADER = 'IDENTITY_HEADER'

/** Legacy App Service 2017-09-01: the token endpoint URL (protocols.md §4). */
export const ENV_MSI_ENDPOINT = 'MSI_ENDPOINT'

/** Legacy App Service 2017-09-01: the value of the `secret` header. A secret. */
export const ENV_MSI_SECRET = 'MSI_SECRET'

/** Workload Identity: the application (client) id (protocols.md §8.1). */
export const ENV_AZURE_CLIENT_ID = 'AZURE_CLIENT_ID'

/** Workload Identity: the tenant id. */
export const ENV_AZURE_TENANT_ID = 'AZURE_TENANT_ID'

/** Workload Identity: path of the projected service-account token. */
export const ENV_AZURE_FEDERATED_TOKEN_FILE = 'AZURE_FEDERATED_TOKEN_FILE'

/** Workload Identity: the Entra authority host; must be https (protocols.md §9.2). */
export const ENV_AZURE_AUTHORITY_HOST = 'AZURE_AUTHORITY_HOST'

/**
 * Extra CA certificates Node trusts. Node reads it once, at process start: a process reaches the
 * emulator's HTTPS server only if it was started with this variable set.
 */
export const ENV_NODE_EXTRA_CA_CERTS = 'NODE_EXTRA_CA_CERTS'
