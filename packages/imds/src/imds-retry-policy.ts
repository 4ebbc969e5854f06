/**
 * How IMDS failures are retried: protocols.md §1.6, from Microsoft's IMDS guidance.
 *
 * @module
 */
import type { RetryPolicy } from '@keyless/core'

const SERVER_ERRORS = Array.from({ length: 100 }, (_, i) => 500 + i)

/**
 * 404 (IMDS updating, identity propagating), 408, 410 (updating: retried for its 70 s window),
 * 429 (throttled; `Retry-After` honoured) and every 5xx are retried, as are network errors and
 * timeouts; any other 4xx is a design-time error and is not. Five retries, full-jitter exponential
 * from 2 s capped at 30 s (Microsoft's guidance: about 0, 2, 6, 14, 30 s), never sooner than 1 s
 * ("retrying 5xx too fast produces 429").
 */
export const IMDS_RETRY_POLICY: RetryPolicy = Object.freeze({
  retryableStatuses: new Set([404, 408, 410, 429, ...SERVER_ERRORS]),
  windowMsByStatus: new Map([[410, 70_000]]),
  retries: 5,
  baseDelayMs: 2000,
  maxDelayMs: 30_000,
  minDelayMs: 1000,
})
