/**
 * `keyless`: Azure managed-identity tokens for Node.js services, with no secrets to manage.
 * Re-exports the engine's public API and every source; `auto()` arrives with the providers issue.
 *
 * @module
 */
export * from '@keyless/core'
export * from '@keyless/imds'
