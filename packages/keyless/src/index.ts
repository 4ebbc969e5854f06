/**
 * `keyless`: Azure managed-identity tokens for Node.js services, with no secrets to manage.
 * Re-exports the engine and every source, and adds `auto()` (environment detection) and `chain()`.
 *
 * @module
 */
export * from '@keyless/core'
export * from '@keyless/imds'
export * from '@keyless/app-service'
export * from '@keyless/workload-identity'
export { auto, type AutoProvider } from './auto.js'
export type { AutoOptions } from './auto-options.js'
export { chain, type ChainProvider } from './chain.js'
export { detectSource, SOURCE_VARIABLES, type DetectedSource, type Detection } from './detect-source.js'
