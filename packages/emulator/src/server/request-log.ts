/**
 * The request log and counters of one emulator.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { FaultKind } from '../faults/fault-step.js'
import { TOKEN_ENDPOINTS, isTokenEndpoint } from '../token-endpoint.js'
import type { RequestEndpoint } from '../token-endpoint.js'
import { REDACTED } from './redactor.js'
import type { Redactor } from './redactor.js'

/** One request the emulator received (admin requests are not logged). */
export interface RequestLogEntry {
  readonly method: string
  /** The path as received, without the query (any emulator secret in it reads `[redacted]`). */
  readonly path: string
  /**
   * The query, decoded; a key sent twice maps to an array. Values of keys that look secret
   * (`secret`, `assertion`, `password`, `signature`, `key`, `token`, `header`) read `[redacted]`,
   * and so does any emulator secret (App Service header, legacy secret, service-account token)
   * wherever it appears.
   */
  readonly query: Readonly<Record<string, string | readonly string[]>>
  /** HTTP status sent; `0` while unanswered or when no answer was sent (`hang`, `reset`). */
  readonly status: number
  /** Arrival, epoch ms (the emulator's `now`). */
  readonly at: number
  /** Whether the path is a token endpoint of a dialect. */
  readonly token: boolean
  /** Which endpoint the request reached (`other` for a 404). */
  readonly endpoint: RequestEndpoint
  /** The fault step applied to this request, if any. */
  readonly fault: FaultKind | undefined
}

/** Counts since start or the last `reset()`. */
export interface EmulatorCounters {
  /** Requests that reached a token endpoint, valid or not. */
  readonly tokenRequests: number
  /** Token requests by endpoint (`imds`, `app-service`, `app-service-2017`, `entra`), each listed from 0. */
  readonly byEndpoint: Readonly<Record<string, number>>
  /** Answered token requests by HTTP status. */
  readonly byStatus: Readonly<Record<number, number>>
  /** Access tokens minted. */
  readonly tokensMinted: number
  /** Most token requests in flight at one time. */
  readonly maxConcurrent: number
}

/** A log entry being filled in while its request runs; internal. */
export interface LogHandle {
  /** Records the fault step applied. */
  fault(kind: FaultKind): void
  /** Records the status of the answer, when it is written. */
  answered(status: number): void
  /**
   * Marks a token request as dispatched: validated (its body read, for Entra) and its fault step
   * chosen. `waitForTokenRequests()` counts these. Idempotent.
   */
  dispatched(): void
}

/** Entries kept in `emulator.requests`; older ones are dropped (counters stay exact). */
export const MAX_LOGGED_REQUESTS = 10_000

/** The mutable log behind `emulator.requests` and `emulator.counters`; internal. */
export interface RequestLog {
  /**
   * Logs a request at arrival and tracks its answer until the response closes. Only method,
   * path and query are kept: never a header or a body, where the secrets travel.
   */
  begin(method: string, path: string, query: URLSearchParams, endpoint: RequestEndpoint, res: ServerResponse): LogHandle
  countMinted(): void
  readonly entries: readonly RequestLogEntry[]
  readonly counters: EmulatorCounters
  /** Token requests currently in flight. */
  readonly inFlight: number
  /** Resolves once `count` token requests have been dispatched since the last clear. */
  waitForTokenRequests(count: number): Promise<void>
  /** Rejects pending waits with `error` (on close). */
  rejectWaits(error: Error): void
  clear(): void
}

const SECRET_KEY = /secret|assertion|password|signature|key|token|header/i

function snapshotQuery(query: URLSearchParams, redact: Redactor): Record<string, string | readonly string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key).map((value) => (SECRET_KEY.test(key) ? REDACTED : redact(value)))
    out[redact(key)] = values.length === 1 ? (values[0] as string) : values
  }
  return out
}

interface MutableEntry {
  method: string
  path: string
  query: Readonly<Record<string, string | readonly string[]>>
  status: number
  at: number
  token: boolean
  endpoint: RequestEndpoint
  fault: FaultKind | undefined
}

interface Waiter {
  readonly count: number
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

/** Creates an empty log that stamps entries with `now()` and passes what it keeps through `redact`. */
export function createRequestLog(now: () => number, redact: Redactor = (text) => text): RequestLog {
  let entries: MutableEntry[] = []
  let tokenRequests = 0
  let dispatchedRequests = 0
  let byStatus: Record<number, number> = {}
  const zeroByEndpoint = (): Record<string, number> => Object.fromEntries(TOKEN_ENDPOINTS.map((name) => [name, 0]))
  let byEndpoint = zeroByEndpoint()
  let tokensMinted = 0
  let maxConcurrent = 0
  let inFlight = 0
  let waiters: Waiter[] = []

  const settleWaiters = (): void => {
    waiters = waiters.filter((waiter) => {
      if (dispatchedRequests < waiter.count) return true
      waiter.resolve()
      return false
    })
  }

  return {
    begin(method, path, query, endpoint, res) {
      const token = isTokenEndpoint(endpoint)
      const entry: MutableEntry = {
        method,
        path: redact(path),
        query: snapshotQuery(query, redact),
        status: 0,
        at: now(),
        token,
        endpoint,
        fault: undefined,
      }
      entries.push(entry)
      if (entries.length > MAX_LOGGED_REQUESTS) entries.shift()
      // The generation guards against a reset() between arrival and answer.
      const generation = entries
      if (token) {
        tokenRequests++
        byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1
        inFlight++
        maxConcurrent = Math.max(maxConcurrent, inFlight)
      }
      let isDispatched = false
      if (token) res.once('close', () => inFlight--)
      return {
        fault(kind) {
          entry.fault = kind
        },
        answered(status) {
          if (generation !== entries) return
          entry.status = status
          if (token) byStatus[status] = (byStatus[status] ?? 0) + 1
        },
        dispatched() {
          if (isDispatched || !token || generation !== entries) return
          isDispatched = true
          dispatchedRequests++
          settleWaiters()
        },
      }
    },
    countMinted() {
      tokensMinted++
    },
    get entries() {
      return entries.map((entry) => Object.freeze({ ...entry }))
    },
    get counters() {
      return Object.freeze({
        tokenRequests,
        byEndpoint: Object.freeze({ ...byEndpoint }),
        byStatus: Object.freeze({ ...byStatus }),
        tokensMinted,
        maxConcurrent,
      })
    },
    get inFlight() {
      return inFlight
    },
    waitForTokenRequests(count) {
      if (dispatchedRequests >= count) return Promise.resolve()
      return new Promise<void>((resolve, reject) => waiters.push({ count, resolve, reject }))
    },
    rejectWaits(error) {
      for (const waiter of waiters) waiter.reject(error)
      waiters = []
    },
    clear() {
      entries = []
      tokenRequests = 0
      dispatchedRequests = 0
      byEndpoint = zeroByEndpoint()
      byStatus = {}
      tokensMinted = 0
      maxConcurrent = inFlight
    },
  }
}
