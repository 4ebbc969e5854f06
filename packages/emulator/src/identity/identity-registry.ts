/**
 * The identities one emulator knows, and how a request's selector picks one of them.
 *
 * @module
 */
import type { ManagedIdentity } from '../emulator-options.js'

/** Which id a request used to select a user-assigned identity. */
export type IdentitySelector =
  | { readonly by: 'clientId'; readonly value: string }
  | { readonly by: 'objectId'; readonly value: string }
  | { readonly by: 'resourceId'; readonly value: string }

/** Looks identities up; dialects translate their own query parameter names into a selector. */
export interface IdentityRegistry {
  /** The identity a request without a selector gets, or `undefined` when none is unambiguous. */
  readonly defaultIdentity: ManagedIdentity | undefined
  /** The identity the selector names (ids compared case-insensitively), or `undefined`. */
  find(selector: IdentitySelector): ManagedIdentity | undefined
}

/**
 * Builds the registry. Without a selector IMDS uses the system-assigned identity if enabled,
 * otherwise the single user-assigned one; with several it needs a selector (protocols.md §1.3).
 */
export function createIdentityRegistry(
  systemAssigned: ManagedIdentity | undefined,
  userAssigned: readonly ManagedIdentity[],
): IdentityRegistry {
  const all = systemAssigned === undefined ? [...userAssigned] : [systemAssigned, ...userAssigned]
  const defaultIdentity = systemAssigned ?? (userAssigned.length === 1 ? userAssigned[0] : undefined)
  return {
    defaultIdentity,
    find(selector) {
      const wanted = selector.value.toLowerCase()
      return all.find((identity) => identity[selector.by].toLowerCase() === wanted)
    },
  }
}
