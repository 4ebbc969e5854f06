/**
 * The handle `startEmulator()` returns.
 *
 * @module
 */
import type { ManagedIdentity } from './emulator-options.js'
import type { Faults } from './faults/fault-controller.js'
import type { EmulatorCounters, RequestLogEntry } from './server/request-log.js'
import type { EmulatorTokenClaims } from './tokens/token-claims.js'
import type { VerifyTokenOptions } from './tokens/token-signer.js'

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
  /** Scripted faults for token requests; see {@link Faults}. */
  readonly faults: Faults
  /** A snapshot of the request log (oldest first, at most `MAX_LOGGED_REQUESTS`, admin requests excluded). */
  readonly requests: readonly RequestLogEntry[]
  /** A snapshot of the counters since start or the last `reset()`. */
  readonly counters: EmulatorCounters
  /** Whether the IMDS limits (20 per second, 5 at once, 429 beyond) are on. */
  readonly limits: boolean
  /** Switches the IMDS limits on or off at runtime. */
  setLimits(on: boolean): void
  /** Clears the request log, the counters and every fault (script, `always`, latency). */
  reset(): void
  /**
   * Verifies a token against the emulator's key: RS256, issuer, `nbf`/`exp` at the emulator's
   * clock, and `audience` if given. Rejects with jose's errors (match on their `code`).
   */
  verify(token: string, options?: VerifyTokenOptions): Promise<EmulatorTokenClaims>
  /**
   * Resolves once `count` token requests have arrived since start or the last `reset()`, so a
   * test can act while a request is in flight without sleeping. Rejects with
   * `ERR_EMULATOR_CLOSED` if the emulator closes first.
   */
  waitForRequests(count: number): Promise<void>
  /** Stops listening and destroys every socket, hung requests included; resolves when no handle is left. Idempotent. */
  close(): Promise<void>
}
