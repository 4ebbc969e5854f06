/**
 * What a token protocol (IMDS, App Service 2019 and 2017, Entra v2) plugs into the server.
 *
 * @module
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { ManagedIdentity } from '../emulator-options.js'
import type { TokenEndpoint } from '../token-endpoint.js'
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
  /** The endpoint it serves: its name in the log, the counters and `faultsFor()`. */
  readonly name: TokenEndpoint
  /**
   * `false` when the 200 body does not echo the resource (Entra): a `resource-mismatch` fault
   * then mints the token for the mismatched audience instead. Default `true`.
   */
  readonly echoesResource?: boolean
  /** Whether a normalized path (see `normalizePath`) is this dialect's token endpoint. */
  matches(normalizedPath: string): boolean
  /** Throttling that runs before validation (IMDS limits); a rejection, or `undefined` to go on. */
  admit?(exchange: Exchange): TokenRejection | undefined
  /** Protocol validation: method, headers, query or body, identity selection. */
  check(exchange: Exchange): TokenGrant | TokenRejection | Promise<TokenGrant | TokenRejection>
  /** The 200 body for a minted token. */
  successBody(input: TokenBodyInput): Record<string, unknown>
  /** The error body this protocol sends with `status` (used by status faults). */
  errorBody(status: number): object
}
