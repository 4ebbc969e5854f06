import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@keyless/hardening',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
    unstubEnvs: true,
  },
})
