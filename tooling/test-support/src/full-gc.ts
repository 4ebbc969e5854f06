/**
 * `fullGc()`: one full garbage collection, whether or not the process was started with
 * `--expose-gc`.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** The `gc` function, found or exposed on first use. */
let gc: (() => void) | undefined

/**
 * Runs one full garbage collection. Without `--expose-gc`, the flag set at run time gives a new
 * context its `gc`, which collects the whole heap.
 *
 * @example
 * ```ts
 * fullGc()
 * const before = v8.getHeapStatistics().used_heap_size
 * ```
 */
export function fullGc(): void {
  gc ??= (globalThis as { gc?: () => void }).gc ?? exposeGc()
  gc()
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}
