/**
 * The `workloadIdentity` option of `startEmulator()`: the identity the Entra endpoint issues
 * tokens for, and its projected service-account token.
 *
 * @module
 */
import { EmulatorError } from './emulator-error.js'
import type { ManagedIdentity } from './emulator-options.js'

/** Options of the emulated AKS Workload Identity. Every field is optional. */
export interface WorkloadIdentityOptions {
  /** `AZURE_CLIENT_ID`: the only `client_id` the Entra endpoint accepts. Default {@link DEFAULT_WORKLOAD_IDENTITY}'s. */
  readonly clientId?: string | undefined
  /** Object id of the identity (`oid`, `sub` of its tokens). Default {@link DEFAULT_WORKLOAD_IDENTITY}'s. */
  readonly objectId?: string | undefined
  /**
   * Lifetime of the projected service-account token, in ms, whole seconds, at least 1 s.
   * Default {@link DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS} (1 h, the AKS default, protocols.md §8.1).
   * An expired one is refused as `client_assertion`.
   */
  readonly serviceAccountTokenLifetimeMs?: number | undefined
  /** When set, Entra token responses carry `refresh_in` with this many seconds (a positive integer). */
  readonly refreshInSeconds?: number | undefined
}

/** The workload identity unless `workloadIdentity` overrides its ids. */
export const DEFAULT_WORKLOAD_IDENTITY: ManagedIdentity = Object.freeze({
  clientId: '0b1d0000-0000-4000-8000-00000000000b',
  objectId: '0b1d0000-0000-4000-8000-0000000000b0',
  resourceId:
    '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/keyless-emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulated-workload',
})

/** Service-account token lifetime unless `serviceAccountTokenLifetimeMs` is given: 1 h. */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS = 3_600_000

/** `workloadIdentity` with defaults applied; internal. */
export interface ResolvedWorkloadIdentity {
  readonly identity: ManagedIdentity
  readonly serviceAccountTokenLifetimeMs: number
  readonly refreshInSeconds: number | undefined
}

function configError(message: string): EmulatorError {
  return new EmulatorError('ERR_EMULATOR_CONFIG', `startEmulator(): workloadIdentity.${message}`)
}

function nonEmpty(value: string | undefined, fallback: string, name: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
    throw configError(`${name} must be a non-empty string without surrounding spaces`)
  }
  return value
}

/** Applies defaults and throws `ERR_EMULATOR_CONFIG` for invalid fields; never writes into `options`. */
export function resolveWorkloadIdentity(options: WorkloadIdentityOptions = {}): ResolvedWorkloadIdentity {
  const lifetimeMs = options.serviceAccountTokenLifetimeMs ?? DEFAULT_SERVICE_ACCOUNT_TOKEN_LIFETIME_MS
  if (!Number.isInteger(lifetimeMs) || lifetimeMs < 1000 || lifetimeMs % 1000 !== 0) {
    throw configError('serviceAccountTokenLifetimeMs must be a whole number of seconds, at least 1000')
  }
  const refreshIn = options.refreshInSeconds
  if (refreshIn !== undefined && (!Number.isInteger(refreshIn) || refreshIn < 1)) {
    throw configError('refreshInSeconds must be a positive integer')
  }
  return {
    identity: Object.freeze({
      clientId: nonEmpty(options.clientId, DEFAULT_WORKLOAD_IDENTITY.clientId, 'clientId'),
      objectId: nonEmpty(options.objectId, DEFAULT_WORKLOAD_IDENTITY.objectId, 'objectId'),
      resourceId: DEFAULT_WORKLOAD_IDENTITY.resourceId,
    }),
    serviceAccountTokenLifetimeMs: lifetimeMs,
    refreshInSeconds: refreshIn,
  }
}
