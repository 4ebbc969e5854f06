/**
 * `captureWarnings()`: the process warnings of one kind that a test file's tests emit.
 *
 * @module
 */
import { afterAll, beforeAll } from 'vitest'

/**
 * Registers hooks that listen for process warnings named `name` (a warning's `name` is the
 * `type` given to `process.emitWarning`) from the file's first test to its last; returns what was
 * heard so far. Node emits a warning on a later tick than the `emitWarning` call.
 *
 * @example
 * ```ts
 * const keylessWarnings = captureWarnings('KeylessWarning')
 * it('warns', async () => {
 *   await setImmediate()
 *   expect(keylessWarnings()).toEqual([expect.objectContaining({ code: 'KEYLESS_PROVIDER_PER_CALL' })])
 * })
 * ```
 */
export function captureWarnings(name: string): () => Error[] {
  const heard: Error[] = []
  const onWarning = (warning: Error): void => {
    if (warning.name === name) heard.push(warning)
  }
  beforeAll(() => void process.on('warning', onWarning))
  afterAll(() => void process.off('warning', onWarning))
  return () => [...heard]
}
