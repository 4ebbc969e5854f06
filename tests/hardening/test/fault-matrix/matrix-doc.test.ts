import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { matrixTableLines } from './matrix-table.js'

const DOC = new URL('../../../../docs/reliability.md', import.meta.url)

describe('docs/reliability.md: fault matrix', () => {
  it('holds the table of fault-rows.ts line for line, so each cell names its test', async () => {
    const doc = (await readFile(DOC, 'utf8')).split('\n')
    const lines = matrixTableLines()
    const start = doc.indexOf(lines[0] ?? '')
    expect(start).toBeGreaterThanOrEqual(0)
    expect(doc.slice(start, start + lines.length)).toEqual(lines)
    // The line after the table ends it: no row in the doc that the tests do not have.
    expect(doc[start + lines.length] ?? '').not.toMatch(/^\|/)
  })
})
