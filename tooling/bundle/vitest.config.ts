import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@keyless/bundle',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
  },
})
