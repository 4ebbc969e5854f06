/**
 * Names of the environment variables the emulator prints and puts in `emulator.env`.
 *
 * @module
 */

/**
 * The only IMDS endpoint override `@azure/identity` v4 honours (protocols.md §2, §9.2). Plain
 * http is accepted for it; never put an http `AZURE_AUTHORITY_HOST` next to it.
 */
export const ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST = 'AZURE_POD_IDENTITY_AUTHORITY_HOST'

