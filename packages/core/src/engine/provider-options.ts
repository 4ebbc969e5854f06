/**
 * The engine's options, their defaults, and their validation: shared by every source factory
 * (`imds()`, `appService()`, ...), which pass them through.
 *
 * @module
 */
import { configError } from '../errors/keyless-error.js'
import type { RetryPolicy } from '../source/token-source.js'
import { MAX_TIMER_DELAY_MS } from './unref-timer.js'

/** Default most scopes one provider caches (least recently used evicted first). */
export const DEFAULT_MAX_ENTRIES = 1000
/** Default margin before `expiresAt` after which a token is no longer returned. */
export const DEFAULT_EXPIRY_MARGIN_MS = 30_000
/** Default jitter that pulls the refresh point earlier, as a share of the token's lifetime. */
export const DEFAULT_REFRESH_JITTER_RATIO = 0.05
/** Default time one attempt may take before it is cut off and retried. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000
/** Default time a whole fetch (all attempts and delays) may take; leaves room for IMDS 410's 70 s. */
export const DEFAULT_DEADLINE_MS = 90_000
/** Default first cool-down after a failed fetch; it doubles per failure in a row. */
export const DEFAULT_COOL_DOWN_MS = 5000
/** Default longest cool-down. */
export const DEFAULT_MAX_COOL_DOWN_MS = 300_000
/** Default least time between two forced refreshes of one scope. */
export const DEFAULT_FORCE_REFRESH_INTERVAL_MS = 30_000

/** Options every keyless provider accepts, besides its source's own. */
export interface TokenProviderOptions {
  /** Most scopes cached; least recently used evicted first. Default {@link DEFAULT_MAX_ENTRIES}. */
  maxEntries?: number | undefined
  /** A token is usable until `expiresAt − expiryMarginMs` (at most half its lifetime). Default 30 s. */
  expiryMarginMs?: number | undefined
  /** Share of the lifetime by which the refresh point is pulled earlier at random. Default 0.05. */
  refreshJitterRatio?: number | undefined
  /** Cut-off of one attempt (it then counts as a retryable `timeout`). Default 5 s; at most 2^31 − 1. */
  attemptTimeoutMs?: number | undefined
  /** Cut-off of a whole fetch, retries included (code `deadline`). Default 90 s; at most 2^31 − 1. */
  deadlineMs?: number | undefined
  /** Overrides of the source's retry count and delays (each delay at most 2^31 − 1 ms). */
  retry?: Partial<Pick<RetryPolicy, 'retries' | 'baseDelayMs' | 'maxDelayMs' | 'minDelayMs'>> | undefined
  /** First cool-down after a failed fetch (doubling, jittered). Default 5 s. */
  coolDownMs?: number | undefined
  /** Longest cool-down. Default 5 min. */
  maxCoolDownMs?: number | undefined
  /** Least time between two forced refreshes of one scope. Default 30 s. */
  forceRefreshIntervalMs?: number | undefined
  /** Random source in [0, 1) for jitter; give a seeded one for reproducible runs. Default `Math.random`. */
  random?: (() => number) | undefined
}

/** The options with every default filled in. */
export type ResolvedProviderOptions = { [K in Exclude<keyof TokenProviderOptions, 'retry'>]-?: NonNullable<TokenProviderOptions[K]> } & { retry: RetryPolicy }

const NUMERIC_OPTIONS = [
  'maxEntries',
  'expiryMarginMs',
  'refreshJitterRatio',
  'attemptTimeoutMs',
  'deadlineMs',
  'coolDownMs',
  'maxCoolDownMs',
  'forceRefreshIntervalMs',
] as const

/**
 * Options whose value becomes a timer's duration. setTimeout cannot wait longer than
 * {@link MAX_TIMER_DELAY_MS} (Node fires a longer timer after 1 ms), and a silent clamp would turn
 * an intended "no limit" into a limit nobody asked for, so a larger value is a config error.
 */
const TIMER_OPTIONS = new Set<string>(['attemptTimeoutMs', 'deadlineMs', 'baseDelayMs', 'maxDelayMs', 'minDelayMs'])

/**
 * Checks the options and fills in defaults; throws a `config` error naming the first bad option.
 * A duration that becomes a timer's (`attemptTimeoutMs`, `deadlineMs`, the `retry` delays) must be
 * at most {@link MAX_TIMER_DELAY_MS}, setTimeout's limit (about 24.8 days).
 *
 * @example
 * ```ts
 * const resolved = resolveProviderOptions({ deadlineMs: 10_000 }, source.retryPolicy, 'imds')
 * ```
 */
export function resolveProviderOptions(options: TokenProviderOptions, policy: RetryPolicy, source: string): ResolvedProviderOptions {
  for (const name of NUMERIC_OPTIONS) {
    const value = options[name]
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw configError(`${source}: option ${name} must be a finite number ≥ 0`, source)
    }
    if (TIMER_OPTIONS.has(name)) checkTimerLimit(name, value, source)
  }
  if (options.maxEntries !== undefined && (options.maxEntries < 1 || !Number.isInteger(options.maxEntries))) {
    throw configError(`${source}: option maxEntries must be an integer ≥ 1`, source)
  }
  if (options.refreshJitterRatio !== undefined && options.refreshJitterRatio > 0.5) {
    throw configError(`${source}: option refreshJitterRatio must be at most 0.5`, source)
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw configError(`${source}: option random must be a function`, source)
  }
  const retry = { ...policy }
  for (const [name, value] of Object.entries(options.retry ?? {})) {
    if (value === undefined) continue
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw configError(`${source}: option retry.${name} must be a finite number ≥ 0`, source)
    }
    if (TIMER_OPTIONS.has(name)) checkTimerLimit(`retry.${name}`, value, source)
    Object.assign(retry, { [name]: value })
  }
  return {
    maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    expiryMarginMs: options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS,
    refreshJitterRatio: options.refreshJitterRatio ?? DEFAULT_REFRESH_JITTER_RATIO,
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    coolDownMs: options.coolDownMs ?? DEFAULT_COOL_DOWN_MS,
    maxCoolDownMs: options.maxCoolDownMs ?? DEFAULT_MAX_COOL_DOWN_MS,
    forceRefreshIntervalMs: options.forceRefreshIntervalMs ?? DEFAULT_FORCE_REFRESH_INTERVAL_MS,
    random: options.random ?? Math.random,
    retry,
  }
}

function checkTimerLimit(option: string, value: number | undefined, source: string): void {
  if (value !== undefined && value > MAX_TIMER_DELAY_MS) {
    throw configError(`${source}: option ${option} must be at most ${MAX_TIMER_DELAY_MS} ms (2^31 − 1, the longest timer Node supports)`, source)
  }
}
