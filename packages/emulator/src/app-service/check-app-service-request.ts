/**
 * Validation shared by the App Service 2019-08-01 and 2017-09-01 endpoints (protocols.md §3,
 * §4, §10 items 3 and 4).
 *
 * @module
 */
import type { IdentityRegistry, IdentitySelector } from '../identity/identity-registry.js'
import type { Exchange } from '../server/exchange.js'
import { duplicateKeys } from '../server/request-target.js'
import { secretEquals } from '../server/secret-equals.js'
import type { TokenGrant, TokenRejection } from '../server/token-dialect.js'
import { IDENTITY_NOT_FOUND_MESSAGE, appServiceError } from './app-service-responses.js'

/** What differs between the two versions. */
export interface AppServiceRules {
  readonly apiVersion: string
  /** Name of the header carrying the secret (`X-IDENTITY-HEADER` or `secret`). */
  readonly headerName: string
  /** The value the header must carry; never echoed. */
  readonly secret: string
  /** Accepted selector parameters and the identity field each one names. */
  readonly selectors: readonly (readonly [param: string, by: IdentitySelector['by']])[]
  /** Selector parameters of the other version, refused rather than silently ignored. */
  readonly refusedSelectors: readonly string[]
  readonly identities: IdentityRegistry
}

function reject(status: number, message: string, headers?: Record<string, string>): TokenRejection {
  const body = appServiceError(status, message)
  return headers === undefined ? { ok: false, status, body } : { ok: false, status, body, headers }
}

/**
 * Validates in this order: method (405), secret header (400, missing or wrong alike),
 * duplicate query keys, api-version, resource, selectors (all 400).
 */
export function checkAppServiceRequest(exchange: Exchange, rules: AppServiceRules): TokenGrant | TokenRejection {
  const { req, query } = exchange
  if (req.method !== 'GET') return reject(405, `The requested resource does not support http method '${req.method ?? ''}'.`, { Allow: 'GET' })
  if (!secretEquals(req.headers[rules.headerName.toLowerCase()], rules.secret)) {
    return reject(400, `The ${rules.headerName} header is missing or invalid.`)
  }
  if (duplicateKeys(query).length > 0) return reject(400, 'Duplicate query parameters are not allowed.')
  const apiVersion = query.get('api-version')
  if (apiVersion !== rules.apiVersion) return reject(400, `The api-version parameter must be ${rules.apiVersion}.`)
  const resource = query.get('resource')
  if (resource === null || resource === '') return reject(400, 'The resource parameter is required.')
  const refused = rules.refusedSelectors.filter((param) => query.has(param))
  if (refused.length > 0) {
    const accepted = rules.selectors.map(([param]) => param).join(', ')
    return reject(400, `Unsupported parameter ${refused.join(', ')} with api-version ${rules.apiVersion}; use ${accepted}.`)
  }
  const given: IdentitySelector[] = []
  for (const [param, by] of rules.selectors) {
    const value = query.get(param)
    if (value !== null && value !== '') given.push({ by, value })
  }
  if (given.length > 1) {
    return reject(400, `Only one of ${rules.selectors.map(([param]) => param).join(', ')} may be specified.`)
  }
  const selector = given[0]
  const identity = selector === undefined ? rules.identities.defaultIdentity : rules.identities.find(selector)
  if (identity === undefined) return reject(400, IDENTITY_NOT_FOUND_MESSAGE)
  return { ok: true, identity, resource }
}
