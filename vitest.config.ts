import { writeSync } from 'node:fs'
import { defineConfig } from 'vitest/config'
import type { Reporter, TestModule } from 'vitest/node'

// CI reads the last line; vitest's own closing lines are not in a form it parses.
const plainSummary: Reporter = {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, errors) {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of testModules) {
      const failedBefore = failed
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      // The file failed outside its tests: at load, or in a beforeAll hook (its tests then count as skipped).
      if (m.state() === 'failed' && failed === failedBefore) failed++
    }
    if (errors.length > 0 && failed === 0) failed = errors.length
    writeSync(1, `\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  },
}

export default defineConfig({
  test: {
    projects: ['packages/*', 'tests/*', 'tooling/bundle', 'bench'],
    reporters: ['default', plainSummary],
  },
})
