/**
 * Names of the emulator's token endpoints and of the credential sources `envFor()` describes.
 *
 * @module
 */

/**
 * One token endpoint of the emulator: IMDS, App Service 2019-08-01, legacy App Service
 * 2017-09-01, or the Entra ID v2.0 token endpoint (HTTPS, used by Workload Identity).
 */
export type TokenEndpoint = 'imds' | 'app-service' | 'app-service-2017' | 'entra'

/** Every {@link TokenEndpoint}, in the order the counters list them. */
export const TOKEN_ENDPOINTS: readonly TokenEndpoint[] = Object.freeze(['imds', 'app-service', 'app-service-2017', 'entra'])

/**
 * What a request log entry names as its endpoint: a token endpoint, the JWKS, the
 * openid-configuration, or `other` (404s).
 */
export type RequestEndpoint = TokenEndpoint | 'jwks' | 'openid-configuration' | 'other'

/** A credential source an app can be pointed at with `emulator.envFor()`. */
export type EmulatorSource = 'imds' | 'app-service' | 'app-service-2017' | 'workload-identity'

/** Every {@link EmulatorSource}, in the order the CLI prints them. */
export const EMULATOR_SOURCES: readonly EmulatorSource[] = Object.freeze([
  'imds',
  'app-service',
  'app-service-2017',
  'workload-identity',
])

/** Whether `value` names a token endpoint. */
export function isTokenEndpoint(value: unknown): value is TokenEndpoint {
  return typeof value === 'string' && (TOKEN_ENDPOINTS as readonly string[]).includes(value)
}
