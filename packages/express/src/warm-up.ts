/**
 * `warmUp()`: fetches the tokens an app needs before it takes traffic.
 *
 * @module
 */
import { isKeylessError, KeylessError, type KeylessErrorCode, type TokenProvider } from '@keyless/core'
import { checkBoolean, checkNumber, checkOptions, checkProvider, checkScopes, checkSignal, SOURCE } from './lib/check-options.js'

/** Default first delay between two warm-up attempts of a scope; it doubles per failure. */
export const DEFAULT_WARM_UP_DELAY_MS = 1000
/** Default longest delay between two warm-up attempts of a scope. */
export const DEFAULT_WARM_UP_MAX_DELAY_MS = 30_000

/** Options of {@link warmUp}. */
export interface WarmUpOptions {
  /** The provider the app uses; warm-up fills its cache. */
  provider: TokenProvider
  /** The scopes to fetch, all at once. At least one. */
  scopes: readonly string[]
  /** Reject with the first error instead of trying again. Default `false`. */
  failFast?: boolean | undefined
  /** Stops waiting: the promise rejects with `aborted` (the last failure as `cause`). */
  signal?: AbortSignal | undefined
  /** First delay before a scope is tried again; doubles per failure, jittered. Default {@link DEFAULT_WARM_UP_DELAY_MS}. */
  delayMs?: number | undefined
  /** Longest delay between two tries. Default {@link DEFAULT_WARM_UP_MAX_DELAY_MS}. */
  maxDelayMs?: number | undefined
}

/**
 * Codes that no amount of waiting fixes: warm-up rejects with them even without `failFast`.
 * Anything else (an endpoint still starting, an identity assigned a moment later, throttling) is
 * what start-up usually looks like, and is waited out.
 */
const PERMANENT: ReadonlySet<KeylessErrorCode> = new Set(['config', 'invalid-scope', 'unavailable', 'closed'])

/** Long enough to never fire; the interval exists only to hold the event loop open. */
const HOLD_MS = 2 ** 31 - 1

const noop = (): void => {}

/**
 * Resolves once every scope has a token in the provider's cache (so `readiness()` turns 200 and
 * the first requests hit the cache).
 *
 * Each scope is fetched with the provider's own retries. When a fetch fails anyway:
 * - with `failFast`, the promise rejects with that coded KeylessError at once, and the other
 *   scopes' waits are released;
 * - without it, the scope is tried again after a delay (from `delayMs`, doubling to `maxDelayMs`,
 *   jittered, never sooner than the error's `retryAfterMs`) until it succeeds or `signal` aborts.
 *   During the provider's cool-down a try costs no request: the provider fails fast. Only
 *   `config`, `invalid-scope`, `unavailable` and `closed` reject at once, since waiting cannot fix them.
 *
 * While pending, warm-up keeps the process alive (`await warmUp(...)` before `listen()` must not
 * let Node exit mid-wait); every timer is cleared when it settles. Bad options reject with `config`.
 *
 * @example
 * ```ts
 * const server = app.listen(8080)
 * await warmUp({ provider, scopes: ['https://vault.azure.net/.default'], signal: AbortSignal.timeout(60_000) })
 * ```
 */
export function warmUp(options: WarmUpOptions): Promise<void> {
  let config: WarmUpConfig
  try {
    config = checkWarmUpOptions(options)
  } catch (error: unknown) {
    return Promise.reject(error)
  }
  return run(config)
}

interface WarmUpConfig {
  readonly provider: TokenProvider
  readonly scopes: readonly string[]
  readonly failFast: boolean
  readonly signal: AbortSignal | undefined
  readonly delayMs: number
  readonly maxDelayMs: number
}

function checkWarmUpOptions(options: WarmUpOptions): WarmUpConfig {
  const where = 'warmUp()'
  const checked = checkOptions(options, where, ['provider', 'scopes', 'failFast', 'signal', 'delayMs', 'maxDelayMs'])
  const delayMs = checkNumber(checked.delayMs, 'delayMs', where, { min: 1 }) ?? DEFAULT_WARM_UP_DELAY_MS
  const maxDelayMs = checkNumber(checked.maxDelayMs, 'maxDelayMs', where, { min: delayMs }) ?? Math.max(delayMs, DEFAULT_WARM_UP_MAX_DELAY_MS)
  return {
    provider: checkProvider(checked.provider, where),
    scopes: checkScopes(checked.scopes, where, { required: true }),
    failFast: checkBoolean(checked.failFast, 'failFast', where) ?? false,
    signal: checkSignal(checked.signal, where),
    delayMs,
    maxDelayMs,
  }
}

async function run(config: WarmUpConfig): Promise<void> {
  const { provider, scopes, signal } = config
  // Released when warm-up settles, so a scope still waiting when another one failed stops too.
  const done = new AbortController()
  const stop = signal === undefined ? done.signal : AbortSignal.any([signal, done.signal])
  const hold = setInterval(noop, HOLD_MS)
  try {
    await Promise.all(scopes.map((scope) => warmScope(provider, scope, config, stop)))
  } finally {
    done.abort()
    clearInterval(hold)
  }
}

async function warmScope(provider: TokenProvider, scope: string, config: WarmUpConfig, stop: AbortSignal): Promise<void> {
  let lastError: unknown
  for (let failures = 0; ; failures++) {
    if (stop.aborted) throw stopped(scope, stop, lastError)
    try {
      await provider.getToken(scope, { signal: stop })
      return
    } catch (error: unknown) {
      if (stop.aborted) throw stopped(scope, stop, lastError ?? error)
      if (config.failFast || (isKeylessError(error) && PERMANENT.has(error.code))) throw error
      lastError = error
    }
    await delay(backoff(failures, lastError, config), stop)
  }
}

/** Equal jitter: in `[d/2, d]` for `d` doubling from `delayMs` to `maxDelayMs`, then lifted to `Retry-After`. */
function backoff(failures: number, error: unknown, config: WarmUpConfig): number {
  const ceiling = Math.min(config.maxDelayMs, config.delayMs * 2 ** Math.min(failures, 30))
  const jittered = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  const retryAfterMs = isKeylessError(error) ? error.retryAfterMs : undefined
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs)
}

function stopped(scope: string, stop: AbortSignal, lastError: unknown): KeylessError {
  const last = isKeylessError(lastError) ? `; the last try failed with ${lastError.code}` : ''
  return new KeylessError('aborted', `${SOURCE}: warm-up stopped before ${scope} had a token${last}`, {
    source: SOURCE,
    cause: lastError ?? stop.reason,
  })
}

/** Resolves after `ms`, or early when `signal` aborts; the timer is cleared either way. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    timer.unref() // the warm-up's hold interval is what keeps the process alive, and only while pending
    signal.addEventListener('abort', done, { once: true })
  })
}
