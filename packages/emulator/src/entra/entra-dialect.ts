/**
 * The Entra ID v2.0 token endpoint, for the client-credentials grant with a federated
 * service-account assertion that AKS Workload Identity uses (protocols.md §8.2, §10 item 8).
 *
 * @module
 */
import type { ManagedIdentity } from '../emulator-options.js'
import type { Exchange } from '../server/exchange.js'
import type { Redactor } from '../server/redactor.js'
import { secretEquals } from '../server/secret-equals.js'
import type { TokenBodyInput, TokenDialect, TokenGrant, TokenRejection } from '../server/token-dialect.js'
import type { ServiceAccountToken } from '../workload-identity/projected-token-file.js'
import {
  CLIENT_CREDENTIALS_GRANT,
  DEFAULT_SCOPE_SUFFIX,
  JWT_BEARER_ASSERTION_TYPE,
  TOKEN_PATH_PATTERN,
  tenantSegment,
} from './entra-constants.js'
import type { EntraErrors } from './entra-errors.js'
import { readForm } from './read-form.js'

/** What the Entra dialect checks against; internal. */
export interface EntraDialectOptions {
  readonly tenantId: string
  /** The workload identity: its `clientId` is the only one accepted, its ids go into the tokens. */
  readonly identity: ManagedIdentity
  /** The service-account token the file holds now. */
  readonly assertion: () => ServiceAccountToken
  /** `refresh_in` of 200 bodies, when set. */
  readonly refreshInSeconds: number | undefined
  /** Applied to every client value echoed in a description. */
  readonly redact: Redactor
  readonly errors: EntraErrors
  readonly now: () => number
}

const FORM_FIELDS = ['grant_type', 'client_id', 'client_assertion_type', 'client_assertion', 'scope'] as const

/** Validates one token request in the order listed in the module README (tenant first, assertion last). */
async function checkEntraRequest(exchange: Exchange, options: EntraDialectOptions): Promise<TokenGrant | TokenRejection> {
  // Echoed values come from the client, which may have sent a secret in the wrong field.
  const echo = options.redact
  const correlationId = exchange.query.get('client-request-id')
  const reject = (error: string, code: number, text: string): TokenRejection => ({
    ok: false,
    status: 400,
    body: options.errors.body(error, code, text, correlationId === null ? null : echo(correlationId)),
  })
  const tenant = tenantSegment(exchange.path, TOKEN_PATH_PATTERN)
  if (tenant.toLowerCase() !== options.tenantId.toLowerCase()) {
    exchange.req.resume()
    return reject('invalid_request', 90002, `Tenant '${echo(tenant)}' not found. Check to make sure you have the correct tenant ID.`)
  }
  const method = exchange.req.method ?? ''
  if (method !== 'POST') {
    exchange.req.resume()
    return reject('invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`)
  }
  const read = await readForm(exchange.req)
  if (!read.ok) {
    return read.reason === 'too-large'
      ? reject('invalid_request', 90015, 'The request body is too large.')
      : reject('invalid_request', 900144, 'The request body must be application/x-www-form-urlencoded.')
  }
  const { form } = read
  const duplicated = FORM_FIELDS.find((field) => form.getAll(field).length > 1)
  if (duplicated !== undefined) {
    return reject('invalid_request', 9000411, `The request is not properly formatted. The parameter '${duplicated}' is duplicated.`)
  }
  const missing = (field: string): TokenRejection =>
    reject('invalid_request', 900144, `The request body must contain the following parameter: '${field}'.`)
  const grantType = form.get('grant_type')
  if (grantType === null || grantType === '') return missing('grant_type')
  if (grantType !== CLIENT_CREDENTIALS_GRANT) {
    return reject('unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
  }
  const clientId = form.get('client_id')
  if (clientId === null || clientId === '') return missing('client_id')
  if (clientId.toLowerCase() !== options.identity.clientId.toLowerCase()) {
    return reject(
      'unauthorized_client',
      700016,
      `Application with identifier '${echo(clientId)}' was not found in the directory '${options.tenantId}'.`,
    )
  }
  const scope = form.get('scope')
  if (scope === null || scope.trim() === '') return missing('scope')
  const scopes = scope.trim().split(/\s+/)
  const only = scopes[0] ?? ''
  if (scopes.length > 1) {
    return reject('invalid_scope', 70011, "The provided value for the input parameter 'scope' is not valid: client credential flows take one scope.")
  }
  const resource = only.endsWith(DEFAULT_SCOPE_SUFFIX) ? only.slice(0, -DEFAULT_SCOPE_SUFFIX.length) : ''
  if (resource === '') {
    return reject(
      'invalid_scope',
      1002012,
      `The provided value for scope ${echo(only)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    )
  }
  const assertion = form.get('client_assertion')
  if (assertion === null || assertion === '') {
    return reject('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
  }
  const assertionType = form.get('client_assertion_type')
  if (assertionType === null || assertionType === '') return missing('client_assertion_type')
  if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
    return reject('invalid_request', 50027, `The client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`)
  }
  const accepted = options.assertion()
  if (!secretEquals(assertion, accepted.token)) {
    return reject('invalid_client', 70021, 'No matching federated identity record found for presented assertion.')
  }
  if (Math.floor(options.now() / 1000) >= accepted.exp) {
    return reject('invalid_client', 700024, 'Client assertion is not within its valid time range.')
  }
  return { ok: true, identity: options.identity, resource }
}

/** Builds the Entra v2.0 dialect (it lives on the HTTPS server); internal. */
export function createEntraDialect(options: EntraDialectOptions): TokenDialect {
  return {
    name: 'entra',
    echoesResource: false,
    matches: (normalizedPath) => TOKEN_PATH_PATTERN.test(normalizedPath),
    check: (exchange) => checkEntraRequest(exchange, options),
    successBody(input: TokenBodyInput) {
      const expiresIn = input.minted.exp - input.minted.iat
      return {
        token_type: 'Bearer',
        expires_in: expiresIn,
        ext_expires_in: expiresIn,
        access_token: input.minted.token,
        ...(options.refreshInSeconds === undefined ? {} : { refresh_in: options.refreshInSeconds }),
      }
    },
    errorBody: (status) => options.errors.forStatus(status),
  }
}
