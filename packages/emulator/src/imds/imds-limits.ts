/**
 * IMDS's managed-identity limits: 20 token requests per rolling second and 5 in flight.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { IMDS_MAX_CONCURRENT_REQUESTS, IMDS_MAX_REQUESTS_PER_SECOND } from './imds-constants.js'

/** The limiter; internal. */
export interface ImdsLimits {
  enabled: boolean
  /** Counts the request if admitted (until `res` closes) and returns `true`; `false` means answer 429. */
  admit(res: ServerResponse): boolean
}

/**
 * Creates the limiter, reading `now()` (epoch ms) for the rolling window. Only admitted requests
 * count. Requests in flight are counted even while off, so switching on mid-run is exact.
 */
export function createImdsLimits(enabled: boolean, now: () => number): ImdsLimits {
  const admittedAt: number[] = []
  let inFlight = 0
  let on = enabled
  return {
    get enabled() {
      return on
    },
    set enabled(value: boolean) {
      on = value
      admittedAt.length = 0
    },
    admit(res) {
      if (on) {
        const at = now()
        while (admittedAt.length > 0 && at - (admittedAt[0] as number) >= 1000) admittedAt.shift()
        if (admittedAt.length >= IMDS_MAX_REQUESTS_PER_SECOND || inFlight >= IMDS_MAX_CONCURRENT_REQUESTS) return false
        admittedAt.push(at)
      }
      inFlight++
      res.once('close', () => inFlight--)
      return true
    },
  }
}
