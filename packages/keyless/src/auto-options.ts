/**
 * The options of `auto()` and their checks, made before anything is chosen or created.
 *
 * @module
 */
import { assertSafeIdentifier, configError, createHttpClient, type TokenProviderOptions } from '@keyless/core'
import { MAX_PROBE_TIMEOUT_MS } from '@keyless/imds'
import type { WorkloadIdentityOptions } from '@keyless/workload-identity'
import type { Dispatcher } from 'undici'

/** The `source` of the config errors `auto()` raises about its own options. */
export const AUTO_SOURCE = 'auto'

/** Options of `auto()`. */
export interface AutoOptions extends TokenProviderOptions {
  /**
   * A user-assigned identity's client id, for whichever source is chosen. Default
   * `AZURE_CLIENT_ID` (Workload Identity requires it; App Service and IMDS send it as their
   * client-id selector when it is set and not empty, as `DefaultAzureCredential` does).
   */
  clientId?: string | undefined
  /**
   * When IMDS is the fallback, check once that something answers there before the first token
   * request (1 s, no `Metadata` header), and reject with `unavailable` if nothing does, so a
   * `chain()` can move on quickly off Azure. Default `false`: no probe, IMDS assumed.
   */
  probeImds?: boolean | undefined
  /** Cut-off of that probe, in ms: above 0, at most `MAX_PROBE_TIMEOUT_MS`. Default 1000. Checked even when `probeImds` is off. */
  probeTimeoutMs?: number | undefined
  /** An undici dispatcher for every request of the chosen source. */
  dispatcher?: Dispatcher | undefined
  /** Extra CA certificates (PEM) to trust for the Workload Identity authority; see `workloadIdentity({ ca })`. */
  ca?: WorkloadIdentityOptions['ca'] | undefined
}

/** Every option `auto()` takes. A `Record` over the keys, so a new engine option fails the typecheck here until listed. */
const KNOWN: Readonly<Record<keyof AutoOptions, true>> = {
  clientId: true,
  probeImds: true,
  probeTimeoutMs: true,
  dispatcher: true,
  ca: true,
  maxEntries: true,
  expiryMarginMs: true,
  refreshJitterRatio: true,
  attemptTimeoutMs: true,
  deadlineMs: true,
  retry: true,
  coolDownMs: true,
  maxCoolDownMs: true,
  forceRefreshIntervalMs: true,
  random: true,
}

/**
 * Returns `options` unchanged if every key is one of {@link AutoOptions} and `auto()`'s own
 * options are well formed, else throws a `config` error (source `auto`) naming the option, never
 * its value. Source options such as `tenantId` or `endpoint` are refused: they belong to that
 * source's factory. Engine options are left to the chosen factory, which checks them at once.
 *
 * @example
 * ```ts
 * const checked = checkAutoOptions({ probeImds: true, probeTimeoutMs: 500 })
 * ```
 */
export function checkAutoOptions(options: unknown): AutoOptions {
  const fail = (problem: string): never => {
    throw configError(`${AUTO_SOURCE}: ${problem}`, AUTO_SOURCE)
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return fail('pass one options object, such as { probeImds: true }')
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(KNOWN, key)) {
      fail(`unknown option ${JSON.stringify(key.slice(0, 64))}; a source's own options (endpoint, tenantId, ...) go to its factory, such as imds() or workloadIdentity(); the options are ${Object.keys(KNOWN).join(', ')}`)
    }
  }
  const { clientId, probeImds, probeTimeoutMs, dispatcher, ca } = options as Record<keyof AutoOptions, unknown>
  if (clientId !== undefined) assertSafeIdentifier(clientId, 'clientId', AUTO_SOURCE)
  if (probeImds !== undefined && typeof probeImds !== 'boolean') fail('option `probeImds` must be true or false')
  if (probeTimeoutMs !== undefined && !(typeof probeTimeoutMs === 'number' && probeTimeoutMs > 0 && probeTimeoutMs <= MAX_PROBE_TIMEOUT_MS)) {
    fail(`option \`probeTimeoutMs\` must be a number of milliseconds above 0 and at most ${MAX_PROBE_TIMEOUT_MS}`)
  }
  // The HTTP client checks `dispatcher` and `ca` (PEM that parses, not both at once) exactly as the
  // chosen source's will, whichever it is; it opens nothing before a request, so none is made.
  if (dispatcher !== undefined || ca !== undefined) {
    createHttpClient({ source: AUTO_SOURCE, retryableStatuses: new Set(), dispatcher: dispatcher as Dispatcher | undefined, ca: ca as AutoOptions['ca'] })
  }
  return options as AutoOptions
}
