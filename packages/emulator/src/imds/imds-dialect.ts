/**
 * The IMDS token protocol (Azure VMs and VM scale sets), matched the way protocols.md §2 and
 * §10 describe it.
 *
 * @module
 */
import type { IdentityRegistry, IdentitySelector } from '../identity/identity-registry.js'
import type { Exchange } from '../server/exchange.js'
import { duplicateKeys } from '../server/request-target.js'
import type { TokenDialect, TokenGrant, TokenRejection } from '../server/token-dialect.js'
import { IMDS_MIN_API_VERSION, IMDS_TOKEN_PATH } from './imds-constants.js'
import type { ImdsLimits } from './imds-limits.js'
import {
  DUPLICATE_QUERY_KEY,
  FORWARDED_REQUEST,
  IDENTITY_NOT_FOUND,
  METADATA_HEADER_MISSING,
  METHOD_NOT_ALLOWED,
  RESOURCE_MISSING,
  SEVERAL_SELECTORS,
  THROTTLED,
  apiVersionErrorBody,
  imdsErrorBody,
  imdsTokenBody,
} from './imds-responses.js'

/** IMDS's query names for the three user-assigned selectors (protocols.md §1.3). */
const SELECTOR_PARAMS = [
  ['client_id', 'clientId'],
  ['object_id', 'objectId'],
  ['msi_res_id', 'resourceId'],
] as const

function reject(status: number, body: object, headers?: Record<string, string>): TokenRejection {
  return headers === undefined ? { ok: false, status, body } : { ok: false, status, body, headers }
}

function isUsableApiVersion(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (match === null) return false
  const date = new Date(`${value}T00:00:00Z`)
  // A round trip rejects dates such as 2019-02-31.
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) && value >= IMDS_MIN_API_VERSION
}

function selectIdentity(query: URLSearchParams, identities: IdentityRegistry): TokenGrant['identity'] | TokenRejection {
  const given: IdentitySelector[] = []
  for (const [param, by] of SELECTOR_PARAMS) {
    const value = query.get(param)
    if (value !== null && value !== '') given.push({ by, value })
  }
  if (given.length > 1) return reject(400, SEVERAL_SELECTORS)
  const selector = given[0]
  const identity = selector === undefined ? identities.defaultIdentity : identities.find(selector)
  return identity ?? reject(400, IDENTITY_NOT_FOUND)
}

/** Validates one IMDS token request, in the order the checks are listed in protocols.md §10.2. */
function checkImdsRequest(exchange: Exchange, identities: IdentityRegistry): TokenGrant | TokenRejection {
  const { req, query } = exchange
  if (req.method !== 'GET') return reject(405, METHOD_NOT_ALLOWED, { Allow: 'GET' })
  // Node joins repeated unknown headers with ", ", so a doubled header fails this exact match.
  if (req.headers['metadata'] !== 'true') return reject(400, METADATA_HEADER_MISSING)
  if (req.headers['x-forwarded-for'] !== undefined) return reject(400, FORWARDED_REQUEST)
  if (duplicateKeys(query).length > 0) return reject(400, DUPLICATE_QUERY_KEY)
  const apiVersion = query.get('api-version')
  if (apiVersion === null || apiVersion === '') return reject(400, apiVersionErrorBody(true))
  if (!isUsableApiVersion(apiVersion)) return reject(400, apiVersionErrorBody(false))
  const resource = query.get('resource')
  if (resource === null || resource === '') return reject(400, RESOURCE_MISSING)
  const identity = selectIdentity(query, identities)
  if ('ok' in identity) return identity
  return { ok: true, identity, resource }
}

/** Builds the IMDS dialect over the emulator's identities and limiter; internal. */
export function createImdsDialect(identities: IdentityRegistry, limits: ImdsLimits): TokenDialect {
  return {
    name: 'imds',
    matches: (normalizedPath) => normalizedPath === IMDS_TOKEN_PATH,
    admit: (exchange) => (limits.admit(exchange.res) ? undefined : reject(429, THROTTLED)),
    check: (exchange) => checkImdsRequest(exchange, identities),
    successBody: imdsTokenBody,
    errorBody: imdsErrorBody,
  }
}
