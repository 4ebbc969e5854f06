/**
 * The bodies IMDS sends: the v1 token shape with every value a string, and its error shapes.
 *
 * @module
 */
import type { TokenBodyInput } from '../server/token-dialect.js'
import { IMDS_NEWEST_VERSIONS } from './imds-constants.js'

/** `{"error","error_description"}`, the IMDS token error shape (protocols.md §2). */
export interface ImdsErrorBody {
  readonly error: string
  readonly error_description: string
}

/** The IMDS-generic body (not the token shape) for a missing or unusable api-version (DOC-IMDS). */
export function apiVersionErrorBody(missing: boolean): { error: string; 'newest-versions': readonly string[] } {
  const what = missing ? 'was not specified in the request' : 'is invalid or was not specified in the request'
  return {
    error: `Bad request. api-version ${what}. For more information refer to aka.ms/azureimds`,
    'newest-versions': IMDS_NEWEST_VERSIONS,
  }
}

/** 400 when `Metadata: true` is absent or differs (DOC-IMDS-TOKEN). */
export const METADATA_HEADER_MISSING: ImdsErrorBody = {
  error: 'bad_request_102',
  error_description: 'Required metadata header not specified',
}

// The live status and body of the next three are unverified (protocols.md §11); 400 as §10 advises.
/** 400 for a request carrying `X-Forwarded-For`. */
export const FORWARDED_REQUEST: ImdsErrorBody = {
  error: 'bad_request',
  error_description: 'Requests with an X-Forwarded-For header are not accepted',
}

/** 400 for a query key sent twice. */
export const DUPLICATE_QUERY_KEY: ImdsErrorBody = {
  error: 'bad_request',
  error_description: 'Duplicate query parameters are not allowed',
}

/** 405 for any method but GET. */
export const METHOD_NOT_ALLOWED: ImdsErrorBody = {
  error: 'method_not_allowed',
  error_description: 'The request method is not supported; use GET',
}

/** 400 for a missing or empty `resource`. */
export const RESOURCE_MISSING: ImdsErrorBody = {
  error: 'invalid_request',
  error_description: 'Required audience parameter not specified',
}

/** 400 when more than one user-assigned selector is given (status and text unverified). */
export const SEVERAL_SELECTORS: ImdsErrorBody = {
  error: 'invalid_request',
  error_description: 'Only one of client_id, object_id and msi_res_id may be specified',
}

/** 400 for an unknown or unassigned identity, the body widely reported from live IMDS (protocols.md §2). */
export const IDENTITY_NOT_FOUND: ImdsErrorBody = { error: 'invalid_request', error_description: 'Identity not found' }

/** 429 beyond the managed-identity limits (body shape unverified, protocols.md §11). */
export const THROTTLED: ImdsErrorBody = {
  error: 'too_many_requests',
  error_description: 'Too many requests; the managed identity limits are 20 per second and 5 at once',
}

const ERRORS_BY_STATUS: Readonly<Record<number, ImdsErrorBody>> = {
  400: { error: 'invalid_request', error_description: 'Bad request' },
  404: { error: 'not_found', error_description: 'IMDS is updating; retry with exponential backoff' },
  408: { error: 'request_timeout', error_description: 'The request timed out' },
  410: { error: 'gone', error_description: 'IMDS is updating; it is available again within 70 seconds' },
  429: THROTTLED,
  500: { error: 'unknown', error_description: 'Failed to retrieve token from the Active directory' },
  503: { error: 'service_unavailable', error_description: 'The managed identity service is unavailable' },
  504: { error: 'gateway_timeout', error_description: 'Timed out reaching the Active directory' },
}

/** The IMDS-shaped error body for any status (used by status faults). */
export function imdsErrorBody(status: number): ImdsErrorBody {
  return ERRORS_BY_STATUS[status] ?? { error: `http_${status}`, error_description: `Emulated failure with status ${status}` }
}

/** The 200 body: every value a string, `refresh_token` empty, `resource` echoed (protocols.md §2). */
export function imdsTokenBody(input: TokenBodyInput): Record<string, unknown> {
  const { minted, identity, resource } = input
  return {
    access_token: minted.token,
    refresh_token: '',
    expires_in: String(minted.exp - minted.iat),
    expires_on: String(minted.exp),
    not_before: String(minted.nbf),
    resource,
    token_type: 'Bearer',
    client_id: identity.clientId,
  }
}
