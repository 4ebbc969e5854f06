import { defineProject } from 'vitest/config'

// The bench's own logic (how a run is judged); the bench itself is a script, not a test.
export default defineProject({
  test: {
    name: 'bench',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../test/loopback-only.ts'],
  },
})
