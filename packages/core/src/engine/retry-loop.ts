/**
 * The retry loop of one fetch (DESIGN.md, engine rule 8). p-retry drives the loop; this module
 * decides the delays, because p-retry's own backoff cannot honour `Retry-After` or full jitter.
 *
 * @module
 */
import pRetry from 'p-retry'
import { isKeylessError, KeylessError } from '../errors/keyless-error.js'
import type { RetryPolicy } from '../source/token-source.js'
import { fullJitterDelay } from './backoff.js'
import { sleep } from './abortable.js'

/** What the loop reports before each retry. */
export interface RetryNotice {
  readonly attempt: number
  readonly delayMs: number
  readonly error: KeylessError
}

/** Options of {@link retryLoop}. */
export interface RetryLoopOptions {
  readonly policy: RetryPolicy
  /** Aborts the loop, including a pending delay; it rejects with the signal's reason. */
  readonly signal: AbortSignal
  readonly source: string
  readonly random?: (() => number) | undefined
  readonly onRetry?: ((notice: RetryNotice) => void) | undefined
}

/**
 * Runs `attempt` until it resolves, an error is not `retryable`, or the policy's retries run out.
 * A status listed in `policy.windowMsByStatus` is retried without using up the count until its
 * window (from the first time it was seen) has passed. Each delay is full-jitter exponential,
 * lifted to `policy.minDelayMs` and to the error's `retryAfterMs`.
 *
 * @example
 * ```ts
 * const token = await retryLoop((n) => source.fetchToken(request), { policy: source.retryPolicy, signal, source: 'imds' })
 * ```
 */
export function retryLoop<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryLoopOptions): Promise<T> {
  const { policy, signal } = options
  const windowStartedAt = new Map<number, number>()
  let consumesRetry = true

  return pRetry(attempt, {
    retries: policy.retries,
    minTimeout: 0, // the delay is ours, awaited in onFailedAttempt
    factor: 1,
    signal,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      const failure = asKeylessError(error, options.source)
      const windowMs = failure.status === undefined ? undefined : policy.windowMsByStatus?.get(failure.status)
      let inWindow = false
      if (windowMs !== undefined && failure.status !== undefined) {
        const now = Date.now()
        const startedAt = windowStartedAt.get(failure.status) ?? now
        windowStartedAt.set(failure.status, startedAt)
        inWindow = now - startedAt < windowMs
      }
      // Throwing here ends p-retry's loop with this error. A windowed status (IMDS 410) is retried
      // for its window and then no more: the endpoint promised to be back within it.
      if (!failure.retryable || (windowMs !== undefined && !inWindow) || retriesLeft <= 0) throw failure
      consumesRetry = !inWindow
      // The backoff grows with every failed attempt, also those inside a window that consume no retry:
      // IMDS 410 is then asked about 9 times in its 70 s, not every second or two.
      let delayMs = fullJitterDelay(attemptNumber - 1, {
        baseMs: policy.baseDelayMs,
        capMs: policy.maxDelayMs,
        floorMs: policy.minDelayMs ?? 0,
        random: options.random,
      })
      if (failure.retryAfterMs !== undefined) delayMs = Math.max(delayMs, failure.retryAfterMs)
      options.onRetry?.({ attempt: attemptNumber, delayMs, error: failure })
      if (delayMs > 0) await sleep(delayMs, signal)
    },
    shouldConsumeRetry: () => consumesRetry,
  })
}

/** Sources reject with KeylessError; anything else is a bug or an abort reason, never retried. */
function asKeylessError(error: unknown, source: string): KeylessError {
  if (isKeylessError(error)) return error
  return new KeylessError('network', `${source}: the request failed unexpectedly`, { source, cause: error })
}
