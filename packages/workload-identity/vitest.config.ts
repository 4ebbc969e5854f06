import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@keyless/workload-identity',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
    unstubEnvs: true,
  },
})
