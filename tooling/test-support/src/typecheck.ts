/**
 * `typecheck()`: runs the workspace's `tsc` on a test program, for tests that assert what the
 * types accept and refuse (`*.test-d.ts` files with `@ts-expect-error`).
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
/**
 * The workspace root's `tsc`, the one `pnpm run typecheck` uses; run it with `node`.
 *
 * @example
 * ```ts
 * await execFile(process.execPath, [TSC, '-p', project])
 * ```
 */
export const TSC: string = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')

/**
 * Type-checks the program of the tsconfig in `project` (a directory or a tsconfig file); resolves
 * with tsc's diagnostics, `''` when it passes. A program that references a package's project sees
 * that package's built declarations, not its sources, so the package must be built first (`pnpm
 * test` builds everything before vitest runs).
 *
 * @example
 * ```ts
 * expect(await typecheck(fileURLToPath(new URL('.', import.meta.url)))).toBe('')
 * ```
 */
export async function typecheck(project: string): Promise<string> {
  try {
    await run(process.execPath, [TSC, '-p', project], { timeout: 60_000 })
    return ''
  } catch (error: unknown) {
    return String((error as { stdout?: unknown }).stdout ?? error)
  }
}
