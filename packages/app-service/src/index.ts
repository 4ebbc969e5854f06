/**
 * `@keyless/app-service`: managed-identity tokens from the App Service / Functions / Container Apps
 * identity endpoint, in its 2019-08-01 and legacy 2017-09-01 dialects.
 *
 * @module
 */
export { appService, type AppServiceOptions } from './app-service.js'
export {
  IDENTITY_ENDPOINT,
  IDENTITY_HEADER,
  IDENTITY_SERVER_THUMBPRINT,
  MAX_APP_SERVICE_HEADER_LENGTH,
  MSI_ENDPOINT,
  MSI_SECRET,
} from './app-service-environment.js'
export { APP_SERVICE_RETRY_POLICY } from './app-service-retry-policy.js'
export {
  APP_SERVICE_API_VERSION,
  appServiceSource,
  LEGACY_APP_SERVICE_API_VERSION,
  type AppServiceApiVersion,
  type AppServiceSelector,
  type AppServiceSourceOptions,
} from './app-service-source.js'
