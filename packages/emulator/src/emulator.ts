/**
 * The handle `startEmulator()` returns.
 *
 * @module
 */
import type { ManagedIdentity } from './emulator-options.js'
import type { Faults } from './faults/fault-controller.js'
import type { EmulatorCounters, RequestLogEntry } from './server/request-log.js'
import type { EmulatorSource, TokenEndpoint } from './token-endpoint.js'
import type { EmulatorTokenClaims } from './tokens/token-claims.js'
import type { VerifyTokenOptions } from './tokens/token-signer.js'

/** The App Service 2019-08-01 endpoint (protocols.md §3). */
export interface AppServiceEndpoint {
  /** `url` + `/msi/token`: `IDENTITY_ENDPOINT`. */
  readonly endpoint: string
  /** The value `X-IDENTITY-HEADER` must carry: `IDENTITY_HEADER`. A secret, never logged. */
  readonly header: string
}

/** The legacy App Service 2017-09-01 endpoint (protocols.md §4). */
export interface LegacyAppServiceEndpoint {
  /** `url` + `/msi/legacy/token`: `MSI_ENDPOINT`. */
  readonly endpoint: string
  /** The value the `secret` header must carry: `MSI_SECRET`. A secret, never logged. */
  readonly secret: string
}

/**
 * The Entra ID v2.0 authority on a second, HTTPS server on 127.0.0.1, and the AKS Workload
 * Identity around it (protocols.md §8).
 */
export interface EntraEndpoint {
  /** `https://127.0.0.1:PORT2`, no trailing slash: `AZURE_AUTHORITY_HOST`. */
  readonly authorityHost: string
  /** `authorityHost` + `/{tenant}/oauth2/v2.0/token`, the `token_endpoint` of the openid-configuration. */
  readonly tokenEndpoint: string
  /** PEM of the CA generated at start that signed the server certificate (SAN `IP:127.0.0.1`, `DNS:localhost`). */
  readonly caPem: string
  /** `caPem` written to a temp file at start, removed by `close()`: `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string
  /** Same tenant as the IMDS tokens: `AZURE_TENANT_ID`. */
  readonly tenantId: string
  /** The workload identity's client id, the only `client_id` accepted: `AZURE_CLIENT_ID`. */
  readonly clientId: string
  /** The workload identity (its `objectId` is the `oid` of its tokens). */
  readonly identity: ManagedIdentity
  /** The projected service-account token minted and written at start: `AZURE_FEDERATED_TOKEN_FILE`. Removed by `close()`. */
  readonly tokenFile: string
  /**
   * Mints a new service-account token and replaces `tokenFile` atomically (temp file, then
   * rename). Afterwards only the new content is accepted as `client_assertion`. Rejects with
   * `ERR_EMULATOR_CLOSED` after `close()`.
   */
  rotateServiceAccountToken(): Promise<void>
}

/**
 * A running emulator on 127.0.0.1. Close it with `close()` or `await using`.
 *
 * @example
 * ```ts
 * await using emulator = await startEmulator()
 * const res = await fetch(`${emulator.imdsEndpoint}?api-version=2018-02-01&resource=https://vault.azure.net`, {
 *   headers: { Metadata: 'true' },
 * })
 * const { access_token } = (await res.json()) as { access_token: string }
 * const claims = await emulator.verify(access_token, { audience: 'https://vault.azure.net' })
 * ```
 */
export interface Emulator extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** `url` + `/metadata/identity/oauth2/token`. */
  readonly imdsEndpoint: string
  /** App Service 2019-08-01 on the same server. */
  readonly appService: AppServiceEndpoint
  /** Legacy App Service 2017-09-01 on the same server. */
  readonly legacyAppService: LegacyAppServiceEndpoint
  /** Entra ID v2.0 and Workload Identity, on the HTTPS server. */
  readonly entra: EntraEndpoint
  /** Where the public key is served: `url` + `/{tenant}/discovery/v2.0/keys` (also at `/.well-known/jwks.json`). */
  readonly jwksUri: string
  /** `iss` of minted tokens: `https://sts.windows.net/{tenant}/`. */
  readonly issuer: string
  readonly tenantId: string
  /** The identities tokens can be issued for. */
  readonly identities: {
    readonly systemAssigned: ManagedIdentity | undefined
    readonly userAssigned: readonly ManagedIdentity[]
  }
  /**
   * Environment that points an app at the emulator: `AZURE_POD_IDENTITY_AUTHORITY_HOST` = `url`, honoured by
   * both `@keyless/imds` and `@azure/identity`.
   */
  readonly env: Readonly<Record<string, string>>
  /**
   * A fresh copy of the environment that points an app at one source:
   *
   * - `imds`: `AZURE_POD_IDENTITY_AUTHORITY_HOST`
   * - `app-service`: `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`
   * - `app-service-2017`: `MSI_ENDPOINT`, `MSI_SECRET`
   * - `workload-identity`: `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`,
   *   `AZURE_AUTHORITY_HOST`, `NODE_EXTRA_CA_CERTS` (Node reads the last one at process start
   *   only: give it to a child process, setting it in `process.env` has no effect).
   *
   * Throws `ERR_EMULATOR_CONFIG` for an unknown source.
   */
  envFor(source: EmulatorSource): Record<string, string>
  /** Scripted faults for requests to any token endpoint; see {@link Faults}. */
  readonly faults: Faults
  /**
   * Scripted faults for one token endpoint only, consulted before the shared `faults`: its
   * script, then its `always` step, then the shared script and `always` step. Its latency, when
   * set, replaces the shared one. Returns the same object on every call; `reset()` clears it.
   * Throws `ERR_EMULATOR_CONFIG` for an unknown endpoint.
   */
  faultsFor(endpoint: TokenEndpoint): Faults
  /** A snapshot of the request log (oldest first, at most `MAX_LOGGED_REQUESTS`, admin requests excluded). */
  readonly requests: readonly RequestLogEntry[]
  /** A snapshot of the counters since start or the last `reset()`. */
  readonly counters: EmulatorCounters
  /** Whether the IMDS limits (20 per second, 5 at once, 429 beyond) are on. */
  readonly limits: boolean
  /** Switches the IMDS limits on or off at runtime. */
  setLimits(on: boolean): void
  /** Clears the request log, the counters and every fault (shared and per endpoint: script, `always`, latency). */
  reset(): void
  /**
   * Verifies a token against the emulator's key: RS256, issuer, `nbf`/`exp` at the emulator's
   * clock, and `audience` if given. Rejects with jose's errors (match on their `code`).
   */
  verify(token: string, options?: VerifyTokenOptions): Promise<EmulatorTokenClaims>
  /**
   * Resolves once `count` token requests have arrived and been dispatched (validated, their
   * fault step chosen; for Entra, after the form body is read) since start or the last
   * `reset()`, so a test can act while a request is in flight (hung, delayed) without sleeping. Rejects with
   * `ERR_EMULATOR_CLOSED` if the emulator closes first.
   */
  waitForRequests(count: number): Promise<void>
  /**
   * Stops both servers, destroys every socket (hung requests included), removes the temp
   * directory holding `entra.caFile` and `entra.tokenFile`, and resolves when no handle is left.
   * Idempotent.
   */
  close(): Promise<void>
}
