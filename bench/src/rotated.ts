/**
 * The order in which the bench takes its subjects, kinds or servers in turn: the same list,
 * started `by` places along, so that from one run, round or cycle to the next none always follows
 * the same one, and a noisy stretch of the machine does not always fall on the same one.
 *
 * @module
 */

/**
 * `items`, starting at index `by` (modulo their count) and wrapping round: `rotated([a, b, c], 1)`
 * is `[b, c, a]`. A copy; `by` may be any whole number ≥ 0.
 *
 * @example
 * ```ts
 * for (let cycle = 0; cycle < cycles; cycle++) for (const server of rotated(servers, cycle)) await loadSlice(server, 1)
 * ```
 */
export function rotated<T>(items: readonly T[], by: number): T[] {
  const start = items.length === 0 ? 0 : by % items.length
  return [...items.slice(start), ...items.slice(0, start)]
}
