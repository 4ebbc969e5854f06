/**
 * How failures of the Entra ID token endpoint are retried.
 *
 * @module
 */
import type { RetryPolicy } from '@keyless/core'

/**
 * 408, 429 (throttled; `Retry-After` honoured, capped at 60 s), 500, 502, 503 and 504 are retried,
 * as are network errors and attempt timeouts (TLS failures are not: they fail the same way again).
 * Every other status is final: Entra answers 400 and 401 (`invalid_client`, `invalid_scope`,
 * `invalid_request`, an expired or unknown assertion, ...) for requests that retrying cannot fix,
 * and 404 when the tenant does not exist. Three retries, full-jitter exponential from 1 s capped
 * at 30 s, never sooner than 0.5 s: Entra is a shared regional service, so keyless backs off
 * faster than it does for the host-local IMDS and gives up sooner.
 */
export const ENTRA_RETRY_POLICY: RetryPolicy = Object.freeze({
  retryableStatuses: new Set([408, 429, 500, 502, 503, 504]),
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  minDelayMs: 500,
})
