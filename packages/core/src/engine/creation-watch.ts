/**
 * Notices providers being made again and again for the same identity, which defeats the cache
 * (peers.md, Azure/azure-sdk-for-js#26446: "creating a credential per call quietly defeats it").
 *
 * @module
 */

/** Providers for one identity within {@link CREATION_WINDOW_MS} that trigger the warning. */
export const CREATION_THRESHOLD = 10
/** The window in which {@link CREATION_THRESHOLD} creations count as "per request". */
export const CREATION_WINDOW_MS = 60_000
/** The `code` of the process warning. */
export const PROVIDER_PER_CALL_WARNING = 'KEYLESS_PROVIDER_PER_CALL'

/** Records creations; calls `warn` once, the first time one identity passes the threshold. */
export interface CreationWatch {
  record(identity: string, now: number): void
}

/**
 * Makes a watch with its own state. The engine keeps one per process; tests make their own.
 *
 * @example
 * ```ts
 * const watch = createCreationWatch((message) => process.emitWarning(message))
 * watch.record('imds|http://169.254.169.254|system', Date.now())
 * ```
 */
export function createCreationWatch(warn: (message: string) => void): CreationWatch {
  const recent = new Map<string, number[]>()
  let warned = false
  return {
    record(identity, now) {
      if (warned) return
      const times = (recent.get(identity) ?? []).filter((at) => now - at < CREATION_WINDOW_MS)
      times.push(now)
      recent.set(identity, times)
      if (recent.size > 100) recent.delete(recent.keys().next().value as string) // bounded
      if (times.length < CREATION_THRESHOLD) return
      warned = true
      recent.clear()
      warn(
        `keyless: ${times.length} providers for the same identity (${identity.split('|')[0]}) were created within ` +
          `${CREATION_WINDOW_MS / 1000} s. A provider is the cache: create it once at start-up and share it; ` +
          'one per request sends a token request per request. This warning is shown once.',
      )
    },
  }
}

/** The process-wide watch the engine records every provider in. */
export const providerCreations: CreationWatch = createCreationWatch((message) =>
  process.emitWarning(message, { type: 'KeylessWarning', code: PROVIDER_PER_CALL_WARNING }),
)
