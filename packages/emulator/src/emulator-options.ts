/**
 * Options of `startEmulator()`, their defaults, and their validation.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { EmulatorError } from './emulator-error.js'
import { resolveWorkloadIdentity } from './workload-identity-options.js'
import type { ResolvedWorkloadIdentity, WorkloadIdentityOptions } from './workload-identity-options.js'

/** One managed identity the emulator can issue tokens for. */
export interface ManagedIdentity {
  /** Application (client) id; becomes the `appid` claim and the `client_id` response field. */
  readonly clientId: string
  /** Object (principal) id; becomes the `oid` and `sub` claims. */
  readonly objectId: string
  /** ARM resource id; becomes the `xms_mirid` claim. Matched case-insensitively, like ARM. */
  readonly resourceId: string
}

/** Options of `startEmulator()`. Every field is optional. */
export interface EmulatorOptions {
  /** TCP port on 127.0.0.1. Default `0` (the OS picks a free one; read it from `emulator.url`). */
  readonly port?: number | undefined
  /** TCP port of the HTTPS (Entra) server on 127.0.0.1. Default `0`; read it from `emulator.entra.authorityHost`. */
  readonly entraPort?: number | undefined
  /**
   * The value App Service 2019-08-01 requires in `X-IDENTITY-HEADER` (`IDENTITY_HEADER`):
   * printable ASCII without spaces. Default: 32 random hex characters made at start.
   */
  readonly appServiceHeader?: string | undefined
  /**
   * The value legacy App Service 2017-09-01 requires in the `secret` header (`MSI_SECRET`):
   * printable ASCII without spaces. Default: 32 random hex characters made at start.
   */
  readonly legacySecret?: string | undefined
  /** The emulated AKS Workload Identity; see {@link WorkloadIdentityOptions}. */
  readonly workloadIdentity?: WorkloadIdentityOptions | undefined
  /** Tenant of the minted tokens (`tid`, `iss`, JWKS path). Default {@link DEFAULT_TENANT_ID}. */
  readonly tenantId?: string | undefined
  /** Lifetime of minted tokens, in ms, whole seconds, at least 1 s. Default {@link DEFAULT_TOKEN_LIFETIME_MS} (24 h). */
  readonly tokenLifetimeMs?: number | undefined
  /**
   * The system-assigned identity: fields given override {@link DEFAULT_SYSTEM_ASSIGNED}. `false`
   * disables it; a request without a selector then gets the only user-assigned identity, or
   * 400 "Identity not found" when there are none or several (protocols.md §1.3).
   */
  readonly systemAssigned?: Partial<ManagedIdentity> | false | undefined
  /** User-assigned identities, selectable by `client_id`, `object_id` or `msi_res_id`. Default none. */
  readonly userAssigned?: readonly ManagedIdentity[] | undefined
  /**
   * IMDS limits (20 token requests per rolling second, 5 concurrent, 429 beyond). Default `false`
   * so tests are not flaky; switch at runtime with `emulator.setLimits()`.
   */
  readonly limits?: boolean | undefined
  /**
   * Clock in epoch ms for minted tokens (`iat`, `nbf`, `exp`, `expires_on`), the request log's
   * `at` and the rate-limit window. Default `Date.now`, read on every call, so fake timers apply.
   */
  readonly now?: (() => number) | undefined
}

/** The tenant minted tokens belong to, unless `tenantId` is given. */
export const DEFAULT_TENANT_ID = '72f988bf-0000-4000-8000-00000000e1e1'

/** Token lifetime unless `tokenLifetimeMs` is given: 24 h, as Azure issues MI tokens (protocols.md §1.5). */
export const DEFAULT_TOKEN_LIFETIME_MS = 86_400_000

/** The system-assigned identity unless `systemAssigned` overrides it. */
export const DEFAULT_SYSTEM_ASSIGNED: ManagedIdentity = Object.freeze({
  clientId: '5a1e0000-0000-4000-8000-000000000001',
  objectId: '5a1e0000-0000-4000-8000-000000000002',
  resourceId:
    '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/keyless-emulator/providers/Microsoft.Compute/virtualMachines/emulated-vm',
})

/** Options with defaults applied and validated; internal. */
export interface ResolvedOptions {
  readonly port: number
  readonly entraPort: number
  readonly appServiceHeader: string
  readonly legacySecret: string
  readonly workloadIdentity: ResolvedWorkloadIdentity
  readonly tenantId: string
  readonly tokenLifetimeMs: number
  readonly systemAssigned: ManagedIdentity | undefined
  readonly userAssigned: readonly ManagedIdentity[]
  readonly limits: boolean
  readonly now: () => number
}

function configError(message: string): EmulatorError {
  return new EmulatorError('ERR_EMULATOR_CONFIG', `startEmulator(): ${message}`)
}

function checkIdentity(identity: ManagedIdentity, label: string): ManagedIdentity {
  for (const field of ['clientId', 'objectId', 'resourceId'] as const) {
    const value: unknown = identity[field]
    if (typeof value !== 'string' || value.length === 0) {
      throw configError(`${label}.${field} must be a non-empty string`)
    }
  }
  return Object.freeze({ clientId: identity.clientId, objectId: identity.objectId, resourceId: identity.resourceId })
}

/** Applies defaults and throws `ERR_EMULATOR_CONFIG` for invalid options; never writes into `options`. */
export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  const port = checkPort(options.port, 'port')
  const entraPort = checkPort(options.entraPort, 'entraPort')
  const appServiceHeader = checkSecret(options.appServiceHeader, 'appServiceHeader')
  const legacySecret = checkSecret(options.legacySecret, 'legacySecret')
  const workloadIdentity = resolveWorkloadIdentity(options.workloadIdentity)
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID
  if (!/^[A-Za-z0-9.-]+$/.test(tenantId)) throw configError('tenantId must be a GUID or a domain name')
  const tokenLifetimeMs = options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS
  if (!Number.isInteger(tokenLifetimeMs) || tokenLifetimeMs < 1000 || tokenLifetimeMs % 1000 !== 0) {
    throw configError('tokenLifetimeMs must be a whole number of seconds, at least 1000')
  }
  const systemAssigned =
    options.systemAssigned === false
      ? undefined
      : checkIdentity({ ...DEFAULT_SYSTEM_ASSIGNED, ...stripUndefined(options.systemAssigned ?? {}) }, 'systemAssigned')
  const userAssigned = (options.userAssigned ?? []).map((identity, i) => checkIdentity(identity, `userAssigned[${i}]`))
  const now = options.now ?? (() => Date.now())
  if (typeof now !== 'function') throw configError('now must be a function returning epoch ms')
  return {
    port,
    entraPort,
    appServiceHeader,
    legacySecret,
    workloadIdentity,
    tenantId,
    tokenLifetimeMs,
    systemAssigned,
    userAssigned,
    limits: options.limits ?? false,
    now,
  }
}

function checkPort(value: number | undefined, name: string): number {
  const port = value ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw configError(`${name} must be an integer in 0..65535`)
  return port
}

/** A header value: given (checked, never echoed in the error) or 32 random hex characters. */
function checkSecret(value: string | undefined, name: string): string {
  if (value === undefined) return randomBytes(16).toString('hex')
  if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) {
    throw configError(`${name} must be a non-empty string of printable ASCII without spaces`)
  }
  return value
}

function stripUndefined(identity: Partial<ManagedIdentity>): Partial<ManagedIdentity> {
  return Object.fromEntries(Object.entries(identity).filter(([, value]) => value !== undefined))
}
