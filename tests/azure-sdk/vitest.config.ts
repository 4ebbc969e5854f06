import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@keyless/e2e-azure-sdk',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
    unstubEnvs: true,
  },
})
