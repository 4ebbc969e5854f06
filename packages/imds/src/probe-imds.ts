/**
 * The opt-in IMDS availability probe: one short request that tells "an IMDS answers here" from
 * "nothing is listening", as `@azure/identity`'s `DefaultAzureCredential` does (protocols.md §9.1).
 *
 * @module
 */
import { createHttpClient, isKeylessError } from '@keyless/core'
import type { Dispatcher } from 'undici'
import { resolveImdsEndpoint } from './imds-endpoint.js'

/** How long the probe waits for any answer before it calls IMDS absent. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000

/** Options of {@link probeImds}. */
export interface ProbeImdsOptions {
  /** Where IMDS is; the same rules as `imds({ endpoint })`. */
  endpoint?: string | undefined
  /** Cut-off in ms. Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  timeoutMs?: number | undefined
  dispatcher?: Dispatcher | undefined
}

/**
 * Resolves `true` when anything answers HTTP at the IMDS token path within the timeout (any status
 * counts: the probe sends no `Metadata` header, so IMDS answers 400), `false` on a connection error
 * or a timeout. Never rejects, never retries, sends no secret.
 *
 * @example
 * ```ts
 * if (await probeImds({ timeoutMs: 500 })) useImds()
 * ```
 */
export async function probeImds(options: ProbeImdsOptions = {}): Promise<boolean> {
  const url = resolveImdsEndpoint(options.endpoint)
  const http = createHttpClient({ source: 'imds', retryableStatuses: new Set(), dispatcher: options.dispatcher, connections: 1 })
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS)
  timer.unref?.()
  try {
    await http.request({ method: 'GET', url, headers: {}, signal: controller.signal })
    return true
  } catch (error: unknown) {
    return isKeylessError(error) && error.status !== undefined
  } finally {
    clearTimeout(timer)
    await http.close()
  }
}
