/**
 * The time limit of one test in the projects whose tests wait for real sockets to close
 * (express, fastify, hardening). Those waits (`eventLoopTurns` in `@keyless/test-support`) give
 * up after 5 s, which is also vitest's default limit: a slow close or a leak then ended as an
 * anonymous "timed out". Well above it, the check itself fails and names what is left, and where
 * it was made.
 */
export const SOCKET_TEST_TIMEOUT_MS = 20_000
