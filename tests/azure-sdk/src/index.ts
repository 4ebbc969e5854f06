/**
 * `@keyless/e2e-azure-sdk`: shared pieces of the end-to-end tests that run real Azure SDK clients
 * on keyless against Azurite. Private; tests only.
 *
 * @module
 */
export {
  AZURITE_ACCOUNT,
  AzuriteStartError,
  DEFAULT_START_TIMEOUT_MS,
  GUARD_REFUSAL_PREFIX,
  LOOPBACK_GUARD_PATH,
  STOP_GRACE_MS,
  startAzurite,
} from './start-azurite.js'
export type { Azurite, StartAzuriteOptions } from './start-azurite.js'
