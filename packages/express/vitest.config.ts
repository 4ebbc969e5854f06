import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@keyless/express',
    include: ['test/**/*.test.ts'],
    setupFiles: ['../../test/loopback-only.ts'],
    unstubEnvs: true,
    // Tests here wait up to 5 s for closed sockets to go (eventLoopTurns). vitest's default limit is
    // those same 5 s, so a slow close or a leak ended as an anonymous timeout; above it, the check
    // itself fails and names what is left, and where it was made.
    testTimeout: 20_000,
  },
})
