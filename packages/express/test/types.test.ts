import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { typecheck } from '@keyless/test-support'
import { describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))

describe('types', () => {
  // Two programs, because a global augmentation reaches every file of a program that sees it.
  it('adds nothing to Express.Request without the augment (test/types.test-d.ts)', async () => {
    expect(await typecheck(here)).toBe('')
  })

  it("declares req.keyless once '@keyless/express/augment' is imported (test/augment/)", async () => {
    expect(await typecheck(join(here, 'augment'))).toBe('')
  })
})
