/**
 * The fault steps a test can script, and their validation (shared by the code API and
 * `POST /_admin/faults`).
 *
 * @module
 */
import { EmulatorError } from '../emulator-error.js'

/**
 * Answer with this HTTP status. Any status but 200 gets the dialect's error body (IMDS:
 * `{"error","error_description"}`) unless `body` replaces it; 200 without `body` is a normal token.
 */
export interface StatusFaultStep {
  readonly kind?: 'status' | undefined
  readonly status: number
  /** Sent verbatim as `Retry-After`: seconds (`"3"`) or an HTTP-date. Omitted when not given. */
  readonly retryAfter?: string | undefined
  /** JSON body sent instead of the default one. */
  readonly body?: object | undefined
}

/**
 * One scripted answer to one token request.
 *
 * - `status`: see {@link StatusFaultStep}.
 * - `hang`: accept the request and never answer; `close()` ends it.
 * - `reset`: destroy the socket with a TCP reset (the client sees `ECONNRESET`).
 * - `non-json`: 200 with a body that is not JSON (default an HTML error page).
 * - `oversized`: 200 with a valid token response padded to `bytes` (default {@link DEFAULT_OVERSIZED_BYTES}).
 * - `no-access-token`: 200 JSON without `access_token`.
 * - `resource-mismatch`: 200, but `resource` echoes a different string than the request's.
 * - `expires-in-past`: 200 with a token whose `exp`, `expires_on` and `expires_in` lie in the past.
 * - `expires-far`: 200 with a token that lives `lifetimeS` (default {@link DEFAULT_FAR_LIFETIME_S}, 100 years).
 * - `reset-mid-body`: 200 headers (with the full `Content-Length`) and the first `bytes` of the
 *   token body (default half), then the connection is closed: the client sees the body cut short.
 * - `hang-mid-body`: 200 headers and the first `bytes` of the token body, then nothing until `close()`.
 * - `trickle`: 200 with the token body sent `bytes` at a time (default 1), one chunk every
 *   `intervalMs` real milliseconds (default {@link DEFAULT_TRICKLE_INTERVAL_MS}).
 */
export type FaultStep =
  | StatusFaultStep
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'non-json'; readonly body?: string | undefined; readonly contentType?: string | undefined }
  | { readonly kind: 'oversized'; readonly bytes?: number | undefined }
  | { readonly kind: 'no-access-token' }
  | { readonly kind: 'resource-mismatch' }
  | { readonly kind: 'expires-in-past' }
  | { readonly kind: 'expires-far'; readonly lifetimeS?: number | undefined }
  | { readonly kind: 'reset-mid-body'; readonly bytes?: number | undefined }
  | { readonly kind: 'hang-mid-body'; readonly bytes?: number | undefined }
  | { readonly kind: 'trickle'; readonly intervalMs?: number | undefined; readonly bytes?: number | undefined }

/** The kind of a fault step, `status` included; what the request log records as `fault`. */
export type FaultKind = NonNullable<FaultStep['kind']>

/** Size of an `oversized` body unless `bytes` is given: 1 MiB. */
export const DEFAULT_OVERSIZED_BYTES = 1_048_576

const MAX_OVERSIZED_BYTES = 256 * 1_048_576

/** Lifetime of an `expires-far` token unless `lifetimeS` is given: 100 years of 365.25 days. */
export const DEFAULT_FAR_LIFETIME_S = 3_155_760_000

/** Pause between two chunks of a `trickle` body unless `intervalMs` is given: 100 real ms. */
export const DEFAULT_TRICKLE_INTERVAL_MS = 100

/** Largest `expires-far` lifetime: 8000 years, enough to reach 9999-12-31 from today. */
const MAX_FAR_LIFETIME_S = 8000 * 31_557_600

/** Largest `bytes` of a partial or trickled body, and largest trickle interval. */
const MAX_CHUNK_BYTES = 1_048_576
const MAX_TRICKLE_INTERVAL_MS = 60_000

const SIMPLE_KINDS = new Set(['hang', 'reset', 'no-access-token', 'resource-mismatch', 'expires-in-past'])

function faultError(message: string): EmulatorError {
  return new EmulatorError('ERR_EMULATOR_FAULT', `invalid fault step: ${message}`)
}

function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw faultError(`${key} must be a string`)
  return value
}

function optionalInteger(record: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = record[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw faultError(`${key} must be an integer in ${min}..${max}`)
  }
  return value
}

/**
 * Checks a step from code or JSON and returns a frozen copy without unknown fields. Throws
 * `ERR_EMULATOR_FAULT` for an unknown kind, a status outside 100–599, or a bad field.
 */
export function parseFaultStep(input: unknown): FaultStep {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw faultError('expected an object')
  const record = input as Record<string, unknown>
  const kind = record['kind']
  if (kind === undefined || kind === 'status') {
    const status = record['status']
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw faultError('status must be an integer in 100..599')
    }
    const retryAfter = optionalString(record, 'retryAfter')
    if (retryAfter !== undefined && !/^[\x20-\x7e]+$/.test(retryAfter)) throw faultError('retryAfter must be printable ASCII')
    const body = record['body']
    if (body !== undefined && (typeof body !== 'object' || body === null)) throw faultError('body must be an object or array')
    return Object.freeze({
      status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(body === undefined ? {} : { body: structuredClone(body) }),
    })
  }
  if (typeof kind === 'string' && SIMPLE_KINDS.has(kind)) return Object.freeze({ kind } as FaultStep)
  if (kind === 'non-json') {
    const body = optionalString(record, 'body')
    const contentType = optionalString(record, 'contentType')
    return Object.freeze({
      kind,
      ...(body === undefined ? {} : { body }),
      ...(contentType === undefined ? {} : { contentType }),
    })
  }
  if (kind === 'expires-far') {
    const lifetimeS = optionalInteger(record, 'lifetimeS', 1, MAX_FAR_LIFETIME_S)
    return Object.freeze(lifetimeS === undefined ? { kind } : { kind, lifetimeS })
  }
  if (kind === 'reset-mid-body' || kind === 'hang-mid-body') {
    const bytes = optionalInteger(record, 'bytes', 0, MAX_CHUNK_BYTES)
    return Object.freeze(bytes === undefined ? { kind } : { kind, bytes })
  }
  if (kind === 'trickle') {
    const intervalMs = optionalInteger(record, 'intervalMs', 1, MAX_TRICKLE_INTERVAL_MS)
    const bytes = optionalInteger(record, 'bytes', 1, MAX_CHUNK_BYTES)
    return Object.freeze({
      kind,
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(bytes === undefined ? {} : { bytes }),
    })
  }
  if (kind === 'oversized') {
    const bytes = record['bytes']
    if (bytes === undefined) return Object.freeze({ kind })
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > MAX_OVERSIZED_BYTES) {
      throw faultError(`bytes must be an integer in 1..${MAX_OVERSIZED_BYTES}`)
    }
    return Object.freeze({ kind, bytes })
  }
  throw faultError(`unknown kind ${JSON.stringify(kind)}`)
}

/** The kind a step records in the request log. */
export function faultKind(step: FaultStep): FaultKind {
  return step.kind ?? 'status'
}

/** Checks an added latency: an integer number of ms in 0..600000. Throws `ERR_EMULATOR_FAULT`. */
export function parseLatencyMs(input: unknown): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 0 || input > 600_000) {
    throw new EmulatorError('ERR_EMULATOR_FAULT', 'invalid latency: ms must be an integer in 0..600000')
  }
  return input
}
