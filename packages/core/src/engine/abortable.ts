/**
 * Small abort primitives built on timers created at call time, so fake timers drive them
 * (`AbortSignal.timeout` uses an internal timer that fake clocks cannot advance).
 *
 * @module
 */

/** An AbortSignal that aborts with `reason()` after `ms`, and a way to cancel that timer. */
export interface TimedSignal {
  readonly signal: AbortSignal
  clear(): void
}

/**
 * Makes a signal that aborts after `ms` with the given reason; its timer is unref'd.
 *
 * @example
 * ```ts
 * const deadline = abortAfter(5000, () => new Error('too slow'))
 * try { await work(deadline.signal) } finally { deadline.clear() }
 * ```
 */
export function abortAfter(ms: number, reason: () => unknown): TimedSignal {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(reason()), ms)
  timer.unref?.()
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}

/**
 * Settles like `promise`, or rejects with `toError(signal.reason)` as soon as `signal` aborts.
 * The promise itself goes on; only this wait is released.
 *
 * @example
 * ```ts
 * const token = await untilAborted(sharedFetch, callerSignal, (reason) => new Error('aborted', { cause: reason }))
 * ```
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, toError: (reason: unknown) => unknown): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {}) // nobody waits for it any more; its failure must not go unhandled
    return Promise.reject(toError(signal.reason))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toError(signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Waits `ms` on an unref'd timer, or rejects with the signal's reason when it aborts first.
 *
 * @example
 * ```ts
 * await sleep(1000, signal)
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    timer.unref?.()
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
