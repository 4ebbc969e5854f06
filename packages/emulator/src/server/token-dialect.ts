/**
 * What a managed-identity protocol (IMDS now; App Service, Entra later) plugs into the server.
 *
 * @module
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { ManagedIdentity } from '../emulator-options.js'
import type { MintedToken } from '../tokens/token-signer.js'
import type { Exchange } from './exchange.js'

/** A request the dialect refuses, with the exact answer to send. */
export interface TokenRejection {
  readonly ok: false
  readonly status: number
  readonly body: object
  readonly headers?: OutgoingHttpHeaders | undefined
}

/** A valid request: whom to mint for and what resource to echo. */
export interface TokenGrant {
  readonly ok: true
  readonly identity: ManagedIdentity
  /** The resource exactly as received (decoded). */
  readonly resource: string
}

/** What the 200 body is built from. */
export interface TokenBodyInput {
  readonly minted: MintedToken
  readonly identity: ManagedIdentity
  /** The resource to echo (normally the requested one, verbatim). */
  readonly resource: string
}

/** One token protocol; internal. */
export interface TokenDialect {
  /** Short name, e.g. `imds`. */
  readonly name: string
  /** Whether a normalized path (see `normalizePath`) is this dialect's token endpoint. */
  matches(normalizedPath: string): boolean
  /** Throttling that runs before validation (IMDS limits); a rejection, or `undefined` to go on. */
  admit?(exchange: Exchange): TokenRejection | undefined
  /** Protocol validation: method, headers, query, identity selection. */
  check(exchange: Exchange): TokenGrant | TokenRejection
  /** The 200 body for a minted token. */
  successBody(input: TokenBodyInput): Record<string, unknown>
  /** The error body this protocol sends with `status` (used by status faults). */
  errorBody(status: number): object
}
