/**
 * The order of one cycle's slices in the plugin-overhead scenario, where one server process may
 * take more than one slot (`keyless-switch`: without the call, then with it).
 *
 * A process's second slice in a row runs on a process that has just served a second of load, while
 * its first follows some other server's slice. On the AMD host (2026-12-03) a process's second
 * slice in a row measured faster than its first in most cycles, by up to 20 %, more than the
 * margin the plugin-overhead target judges (docs/plugin-gap.md, "The order of the switched
 * server's slices", has the runs). So a process's slots stay together, and their order flips every
 * other cycle: over an even number of cycles each of them leads as often as it follows.
 *
 * @module
 */
import { rotated } from './rotated.js'

/**
 * Each server's slots, the servers {@link rotated} by `turn`, and each server's slots reversed when
 * `turn` is odd, as one list. A copy.
 *
 * @example
 * ```ts
 * for (let cycle = 0; cycle < cycles; cycle++) for (const slot of sliceOrder(slotsByServer, cycle + run)) await loadSlice(slot.server, 1)
 * ```
 */
export function sliceOrder<T>(slotsByServer: readonly (readonly T[])[], turn: number): T[] {
  return rotated(slotsByServer, turn).flatMap((slots) => (turn % 2 === 0 ? slots : slots.toReversed()))
}
