/**
 * The bodies App Service sends: the v1 token shapes of 2019-08-01 and 2017-09-01, and the
 * `{statusCode, message, correlationId}` error shape (protocols.md §3; live schema unverified).
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { TokenBodyInput } from '../server/token-dialect.js'

/** The App Service error shape MSAL's fixtures model; MSAL maps `message` to its error description. */
export interface AppServiceErrorBody {
  readonly statusCode: number
  readonly message: string
  readonly correlationId: string
}

/** An error body with a fresh correlation id. */
export function appServiceError(statusCode: number, message: string): AppServiceErrorBody {
  return { statusCode, message, correlationId: randomUUID() }
}

/** The widely reported live message for an unknown or missing identity (protocols.md §3). */
export const IDENTITY_NOT_FOUND_MESSAGE = 'Unable to load the proper Managed Identity.'

const MESSAGES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'Bad request',
  404: 'The managed identity endpoint is not available',
  408: 'The request timed out',
  429: 'Too many requests',
  500: 'An unexpected error occurred while acquiring the token',
  503: 'The managed identity service is unavailable',
  504: 'Timed out reaching the Active directory',
}

/** The App Service error body for any status (used by status faults). */
export function appServiceErrorBody(status: number): AppServiceErrorBody {
  return appServiceError(status, MESSAGES_BY_STATUS[status] ?? `Emulated failure with status ${status}`)
}

/** The 2019-08-01 200 body: epoch seconds as strings, `resource` echoed, `client_id` of the identity. */
export function appServiceTokenBody(input: TokenBodyInput): Record<string, unknown> {
  const { minted, identity, resource } = input
  return {
    access_token: minted.token,
    expires_on: String(minted.exp),
    resource,
    token_type: 'Bearer',
    client_id: identity.clientId,
    not_before: String(minted.nbf),
  }
}

const two = (value: number): string => String(value).padStart(2, '0')

/**
 * The 2017-09-01 `expires_on`: `MM/DD/YYYY hh:mm:ss AM|PM +00:00` in UTC on a 12-hour clock
 * (12 for noon and midnight), e.g. `11/30/2026 03:04:05 PM +00:00` (protocols.md §4). MSAL
 * cannot parse it and never caches such a token (§1.4).
 */
export function legacyExpiresOn(epochSeconds: number): string {
  const at = new Date(epochSeconds * 1000)
  const hours = at.getUTCHours()
  const date = `${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}/${String(at.getUTCFullYear()).padStart(4, '0')}`
  const time = `${two(hours % 12 === 0 ? 12 : hours % 12)}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`
  return `${date} ${time} ${hours < 12 ? 'AM' : 'PM'} +00:00`
}

/** The 2017-09-01 200 body: `expires_on` as a date string, no `client_id`. */
export function legacyTokenBody(input: TokenBodyInput): Record<string, unknown> {
  const { minted, resource } = input
  return {
    access_token: minted.token,
    expires_on: legacyExpiresOn(minted.exp),
    resource,
    token_type: 'Bearer',
  }
}
