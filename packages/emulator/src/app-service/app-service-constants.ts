/**
 * Fixed facts of the App Service managed-identity protocols (protocols.md §3, §4).
 *
 * @module
 */

/** Path of the App Service 2019-08-01 endpoint (`IDENTITY_ENDPOINT`); matched in any case, with or without a trailing `/`. */
export const APP_SERVICE_TOKEN_PATH = '/msi/token'

/** The only api-version the 2019 endpoint accepts. */
export const APP_SERVICE_API_VERSION = '2019-08-01'

/** Header carrying `IDENTITY_HEADER` on the 2019 endpoint. */
export const APP_SERVICE_HEADER_NAME = 'X-IDENTITY-HEADER'

/** Path of the legacy App Service 2017-09-01 endpoint (`MSI_ENDPOINT`). */
export const LEGACY_APP_SERVICE_TOKEN_PATH = '/msi/legacy/token'

/** The only api-version the legacy endpoint accepts. */
export const LEGACY_APP_SERVICE_API_VERSION = '2017-09-01'

/** Header carrying `MSI_SECRET` on the legacy endpoint. */
export const LEGACY_APP_SERVICE_SECRET_HEADER_NAME = 'secret'
