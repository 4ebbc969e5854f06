/**
 * How App Service failures are retried: protocols.md §1.6, MSAL's `DefaultManagedIdentityRetryPolicy`.
 *
 * @module
 */
import type { RetryPolicy } from '@keyless/core'

/**
 * 404, 408, 429 (`Retry-After` honoured, capped at 60 s), 500, 503 and 504 are retried, as are
 * network errors and attempt timeouts; nothing else (400 wrong identity, 401/403 stale header,
 * 410, 502 are answers retrying cannot change). Three retries, full-jitter exponential from 1 s
 * capped at 8 s and never sooner than 1 s: the delays are 1 s, then 1–2 s, then 1–4 s, so a
 * failing fetch gives up within about 7 s of waiting (plus up to four attempt timeouts).
 */
export const APP_SERVICE_RETRY_POLICY: RetryPolicy = Object.freeze({
  retryableStatuses: new Set([404, 408, 429, 500, 503, 504]),
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  minDelayMs: 1000,
})
