/**
 * Delays on the real clock, released by `close()`.
 *
 * @module
 */

// Captured when the module loads, before a test can install fake timers: the emulator is a
// separate party on the wire, and a test's fake clock must not freeze its answers.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** Real-clock waits that `cancelAll()` ends early; internal. */
export interface RealTimers {
  /** Resolves `true` after `ms`, or `false` if `cancelAll()` ran first. */
  wait(ms: number): Promise<boolean>
  /** Clears every pending wait (they resolve `false`). */
  cancelAll(): void
}

/** Creates an empty set of waits. */
export function createRealTimers(): RealTimers {
  const pending = new Map<ReturnType<typeof realSetTimeout>, (done: boolean) => void>()
  return {
    wait(ms) {
      return new Promise<boolean>((resolve) => {
        const timer = realSetTimeout(() => {
          pending.delete(timer)
          resolve(true)
        }, ms)
        pending.set(timer, resolve)
      })
    },
    cancelAll() {
      for (const [timer, resolve] of pending) {
        realClearTimeout(timer)
        resolve(false)
      }
      pending.clear()
    },
  }
}
