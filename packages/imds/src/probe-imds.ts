/**
 * The opt-in IMDS availability probe: one short request that tells "an IMDS answers here" from
 * "nothing is listening", as `@azure/identity`'s `DefaultAzureCredential` does (protocols.md §9.1).
 *
 * @module
 */
import { configError, createHttpClient, MAX_TIMER_DELAY_MS } from '@keyless/core'
import type { Dispatcher } from 'undici'
import { resolveImdsEndpoint } from './imds-endpoint.js'

/** How long the probe waits for any answer before it calls IMDS absent. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000
/** The longest probe timeout: `setTimeout` fires at once for anything above 2³¹ − 1 ms. */
export const MAX_PROBE_TIMEOUT_MS: number = MAX_TIMER_DELAY_MS

/** What Docker Desktop's 403 says when a container asks for 169.254.169.254 (protocols.md §9.1). */
const UNREACHABLE = 'unreachable'

/** Options of {@link probeImds}. */
export interface ProbeImdsOptions {
  /** Where IMDS is; the same rules as `imds({ endpoint })`. */
  endpoint?: string | undefined
  /** Cut-off in ms, above 0 and at most {@link MAX_PROBE_TIMEOUT_MS}. Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  timeoutMs?: number | undefined
  /** An undici dispatcher for the probe (tests, custom agents). Default: a one-connection Agent of its own. */
  dispatcher?: Dispatcher | undefined
}

/**
 * Resolves `true` when anything answers HTTP at the IMDS token path within the timeout, `false` on
 * a connection error, a timeout (the answer's body included), or a 403 whose body contains
 * "unreachable" (Docker Desktop's answer for a container off Azure, protocols.md §9.1). Any other
 * status counts as available: the probe sends no `Metadata` header, so a real IMDS answers 400.
 *
 * The request is `GET` with only `Accept: application/json`: no query, no secret. It goes through
 * core's HTTP seam (`createHttpClient`): no proxy for IMDS or loopback, no redirect followed, the
 * body read to at most 64 KiB, and the body never leaves this function. Never retries. Rejects
 * only with a `config` error for a bad option.
 *
 * @example
 * ```ts
 * if (await probeImds({ timeoutMs: 500 })) useImds()
 * ```
 */
export async function probeImds(options: ProbeImdsOptions = {}): Promise<boolean> {
  const { url, timeoutMs, dispatcher } = checked(options)
  // core's seam: its proxy rules (IMDS and loopback go direct), no redirect followed, the body capped.
  const http = createHttpClient({ source: 'imds', retryableStatuses: new Set(), dispatcher, connections: 1 })
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  timer.unref?.()
  try {
    const { status, text } = await http.answer({ method: 'GET', url, headers: { accept: 'application/json' }, signal: controller.signal })
    return !(status === 403 && text?.toLowerCase().includes(UNREACHABLE) === true)
  } catch {
    // No answer at all (connection refused or reset, DNS, the timer), or an answer whose body
    // broke off: a 403 cut short cannot be told from Docker's, so both count as absent.
    return false
  } finally {
    clearTimeout(timer)
    await http.close() // never closes an injected dispatcher
  }
}

function checked(options: ProbeImdsOptions): { url: URL; timeoutMs: number; dispatcher: Dispatcher | undefined } {
  const fail = (name: string, rule: string): never => {
    throw configError(`imds: the probe option \`${name}\` must be ${rule}`, 'imds')
  }
  if (typeof options !== 'object' || options === null) return fail('options', 'an object, such as { timeoutMs: 500 }')
  const timeoutMs: unknown = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_PROBE_TIMEOUT_MS)) {
    fail('timeoutMs', `a number of milliseconds above 0 and at most ${MAX_PROBE_TIMEOUT_MS}`)
  }
  // `dispatcher` is checked by core's HTTP client, as for every source.
  return { url: resolveImdsEndpoint(options.endpoint), timeoutMs: timeoutMs as number, dispatcher: options.dispatcher }
}
