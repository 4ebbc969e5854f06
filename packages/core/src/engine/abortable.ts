/**
 * Small abort primitives built on timers created at call time, so fake timers drive them
 * (`AbortSignal.timeout` uses an internal timer that fake clocks cannot advance).
 *
 * @module
 */
import { clearUnrefTimeout, unrefTimeout } from './unref-timer.js'

/** An AbortSignal that aborts with `reason()` after `ms`, and a way to cancel that timer. */
export interface TimedSignal {
  readonly signal: AbortSignal
  clear(): void
  /**
   * Whether the timer keeps the process alive (it starts unref'd). The engine refs a fetch's
   * deadline while a caller waits for that fetch: it spans the whole fetch, so this one handle keeps
   * the process alive through every attempt and retry delay, as a pending `fetch()` would.
   */
  keepAlive(on: boolean): void
}

/**
 * Makes a signal that aborts after `ms` with the given reason; its timer is unref'd until
 * `keepAlive(true)`.
 *
 * @example
 * ```ts
 * const deadline = abortAfter(5000, () => new Error('too slow'))
 * try { await work(deadline.signal) } finally { deadline.clear() }
 * ```
 */
export function abortAfter(ms: number, reason: () => unknown): TimedSignal {
  const controller = new AbortController()
  const timer = unrefTimeout(() => controller.abort(reason()), ms)
  return {
    signal: controller.signal,
    clear: () => clearUnrefTimeout(timer),
    // Safe after `clear()`: Node counts a ref only for a timer that is still pending.
    keepAlive: (on) => void (on ? timer.ref?.() : timer.unref?.()),
  }
}

/** A signal that aborts when any of its parents does, and a way to detach it from them. */
export interface LinkedSignal {
  readonly signal: AbortSignal
  /** Removes the listeners on the parents; call it once the work the signal guards has ended. */
  dispose(): void
}

/**
 * Like `AbortSignal.any(parents)`, with a `dispose()`. `AbortSignal.any` keeps a composite signal
 * that has an `abort` listener strongly reachable until one of its sources aborts (Node 20 and 24
 * alike), and a fetch that succeeds never aborts its signals: each fetch left its signals, their
 * listeners and WeakRefs behind (about 5 KB per fetch, measured). Plain listeners, removed when the
 * work ends, leave nothing.
 *
 * @example
 * ```ts
 * const linked = linkSignals([closeSignal, deadline.signal])
 * try { await work(linked.signal) } finally { linked.dispose() }
 * ```
 */
export function linkSignals(parents: readonly AbortSignal[]): LinkedSignal {
  const controller = new AbortController()
  const aborted = parents.find((parent) => parent.aborted)
  if (aborted !== undefined) {
    controller.abort(aborted.reason)
    return { signal: controller.signal, dispose: () => {} }
  }
  const listeners = parents.map((parent) => {
    const onAbort = (): void => {
      dispose()
      controller.abort(parent.reason)
    }
    parent.addEventListener('abort', onAbort, { once: true })
    return { parent, onAbort }
  })
  function dispose(): void {
    for (const { parent, onAbort } of listeners) parent.removeEventListener('abort', onAbort)
  }
  return { signal: controller.signal, dispose }
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
 * Waits `ms` on an unref'd timer, or rejects with the signal's reason when it aborts first. The
 * timer does not keep the process alive: a caller's wait is held by its fetch's deadline
 * ({@link TimedSignal.keepAlive}).
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
      clearUnrefTimeout(timer)
      reject(signal.reason)
    }
    const timer = unrefTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
