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
 * `setTimeout` with the timer unref'd: it fires as usual but never keeps the process alive.
 *
 * @example
 * ```ts
 * const timer = unrefTimeout(() => refresh(), 60_000)
 * ```
 */
export function unrefTimeout(callback: () => void, ms: number): Timer {
  const timer = setTimeout(callback, ms)
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
