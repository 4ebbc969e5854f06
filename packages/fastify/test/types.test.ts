import { fileURLToPath } from 'node:url'
import { typecheck } from '@keyless/test-support'
import { describe, expect, it } from 'vitest'

describe('types', () => {
  it('declares the decorators and refuses unknown options (test/types.test-d.ts)', async () => {
    expect(await typecheck(fileURLToPath(new URL('.', import.meta.url)))).toBe('')
  })
})
