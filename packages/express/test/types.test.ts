import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const here = dirname(fileURLToPath(import.meta.url))

/** Type-checks one program; resolves with tsc's diagnostics, empty when it passes. */
async function typecheck(project: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', project], { timeout: 60_000 })
    return ''
  } catch (error: unknown) {
    return String((error as { stdout?: unknown }).stdout ?? error)
  }
}

describe('types', () => {
  // Two programs, because a global augmentation reaches every file of a program that sees it.
  it('adds nothing to Express.Request without the augment (test/types.test-d.ts)', async () => {
    expect(await typecheck(here)).toBe('')
  })

  it("declares req.keyless once '@keyless/express/augment' is imported (test/augment/)", async () => {
    expect(await typecheck(join(here, 'augment'))).toBe('')
  })
})
