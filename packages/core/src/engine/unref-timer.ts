/**
 * Timers that never keep the process alive, and a way to clear them that frees what Node keeps for
 * them.
 *
 * Node keeps one timer list per distinct duration. Clearing a ref'd timer deletes its list once it
 * is empty, but clearing an unref'd one leaves the empty list in place until its due time
 * (`unenroll` in Node's lib/timers.js: "we only delete refed lists"). The engine re-arms an
 * unref'd refresh timer with a new, jittered duration on every fetch, so without this each fetch
 * would leave a list of about 140 bytes alive for up to a token's half-life. Re-ref'ing the timer
 * just before clearing it lets Node delete the list at once; the ref count goes up and straight
 * back down, so the process is never held.
 *
 * @module
 */

/** What `setTimeout` returns here: a Node Timeout, or a fake timer's stand-in. */
export type Timer = ReturnType<typeof setTimeout>

/**
 * setTimeout's longest delay, 2^31 − 1 ms (about 24.8 days). Node fires a longer one after 1 ms
 * (with a TimeoutOverflowWarning), so every duration given to a timer here is held to it.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * `setTimeout` with the timer unref'd: it fires as usual but never keeps the process alive. A delay
 * beyond {@link MAX_TIMER_DELAY_MS} waits that long instead of Node's 1 ms: never early.
 *
 * @example
 * ```ts
 * const timer = unrefTimeout(() => refresh(), 60_000)
 * ```
 */
export function unrefTimeout(callback: () => void, ms: number): Timer {
  const timer = setTimeout(callback, Math.min(ms, MAX_TIMER_DELAY_MS))
  timer.unref?.()
  return timer
}

/**
 * Clears a timer made by {@link unrefTimeout} (or `undefined`, a no-op) and lets Node free its
 * duration's empty list at once.
 *
 * @example
 * ```ts
 * clearUnrefTimeout(entry.timer)
 * ```
 */
export function clearUnrefTimeout(timer: Timer | undefined): void {
  if (timer === undefined) return
  timer.ref?.()
  clearTimeout(timer)
}
