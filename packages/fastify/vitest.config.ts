import { defineProject } from 'vitest/config'
import { SOCKET_TEST_TIMEOUT_MS } from '../../test/socket-test-timeout.ts'

export default defineProject({
  test: {
    name: '@keyless/fastify',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
    unstubEnvs: true,
    testTimeout: SOCKET_TEST_TIMEOUT_MS,
  },
})
