/**
 * `/_admin/*`: drive faults, limits and resets, and read the log, over HTTP on the same server.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { EmulatorError } from '../emulator-error.js'
import type { Faults } from '../faults/fault-controller.js'
import { parseFaultStep, parseLatencyMs } from '../faults/fault-step.js'
import type { FaultStep } from '../faults/fault-step.js'
import type { EmulatorCounters, RequestLogEntry } from '../server/request-log.js'
import { sendJson } from '../server/send.js'
import { TOKEN_ENDPOINTS, isTokenEndpoint } from '../token-endpoint.js'
import type { TokenEndpoint } from '../token-endpoint.js'

/** Path prefix of the admin endpoints. */
export const ADMIN_PATH_PREFIX = '/_admin'

/** Largest admin request body accepted. */
const MAX_ADMIN_BODY_BYTES = 1_048_576

/** What the admin endpoints act on; internal. */
export interface AdminTarget {
  readonly faults: Faults
  faultsFor(endpoint: TokenEndpoint): Faults
  readonly requests: readonly RequestLogEntry[]
  readonly counters: EmulatorCounters
  readonly limits: boolean
  reset(): void
  setLimits(on: boolean): void
}

/**
 * The body of `POST /_admin/faults`. Everything is checked before anything is applied; then
 * `clear`, `enqueue`, `always` and `latencyMs` apply in that order, to the script of `endpoint`
 * when given (as `emulator.faultsFor(endpoint)`), else to the shared one.
 */
export interface AdminFaultsBody {
  readonly endpoint?: TokenEndpoint
  readonly clear?: boolean
  readonly enqueue?: readonly FaultStep[]
  readonly always?: FaultStep
  readonly latencyMs?: number
}

class AdminRequestError extends Error {
  readonly status: number
  readonly error: string

  constructor(status: number, error: string, message: string) {
    super(message)
    this.status = status
    this.error = error
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_ADMIN_BODY_BYTES) throw new AdminRequestError(413, 'body_too_large', 'the body exceeds 1 MiB')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new AdminRequestError(400, 'invalid_json', 'the body is not JSON')
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AdminRequestError(400, 'invalid_body', 'expected a JSON object')
  }
  return value as Record<string, unknown>
}

/** Applies the body and returns the script it applied to. */
function applyFaultsBody(target: AdminTarget, input: unknown): Faults {
  const body = asRecord(input)
  const { enqueue, always, latencyMs, clear, endpoint } = body
  if (endpoint !== undefined && !isTokenEndpoint(endpoint)) {
    throw new AdminRequestError(400, 'invalid_body', `endpoint must be one of ${TOKEN_ENDPOINTS.join(', ')}`)
  }
  const faults = endpoint === undefined ? target.faults : target.faultsFor(endpoint)
  if (enqueue !== undefined && !Array.isArray(enqueue)) throw new AdminRequestError(400, 'invalid_body', 'enqueue must be an array')
  if (clear !== undefined && typeof clear !== 'boolean') throw new AdminRequestError(400, 'invalid_body', 'clear must be a boolean')
  const steps = (enqueue ?? []).map((step: unknown) => parseFaultStep(step))
  const alwaysStep = always === undefined ? undefined : parseFaultStep(always)
  const latency = latencyMs === undefined ? undefined : parseLatencyMs(latencyMs)
  if (clear === true) faults.clear()
  faults.enqueue(...steps)
  if (alwaysStep !== undefined) faults.always(alwaysStep)
  if (latency !== undefined) faults.latencyMs(latency)
  return faults
}

async function route(req: IncomingMessage, path: string, target: AdminTarget): Promise<[number, unknown]> {
  const method = req.method ?? 'GET'
  const expect = (wanted: string): void => {
    if (method !== wanted) throw new AdminRequestError(405, 'method_not_allowed', `use ${wanted}`)
  }
  switch (path) {
    case `${ADMIN_PATH_PREFIX}/faults`:
      expect('POST')
      return [200, { pending: applyFaultsBody(target, await readJson(req)).pending }]
    case `${ADMIN_PATH_PREFIX}/reset`:
      expect('POST')
      target.reset()
      return [200, {}]
    case `${ADMIN_PATH_PREFIX}/limits`: {
      if (method === 'GET') return [200, { on: target.limits }]
      expect('POST')
      const on = asRecord(await readJson(req))['on']
      if (typeof on !== 'boolean') throw new AdminRequestError(400, 'invalid_body', 'on must be a boolean')
      target.setLimits(on)
      return [200, { on }]
    }
    case `${ADMIN_PATH_PREFIX}/requests`:
      expect('GET')
      return [200, target.requests]
    case `${ADMIN_PATH_PREFIX}/counters`:
      expect('GET')
      return [200, target.counters]
    default:
      throw new AdminRequestError(404, 'not_found', 'no such admin endpoint')
  }
}

/** Answers one `/_admin/*` request (`path` normalized). Admin requests are not logged. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, target: AdminTarget): Promise<void> {
  try {
    const [status, body] = await route(req, path, target)
    sendJson(res, status, body)
  } catch (error: unknown) {
    if (error instanceof AdminRequestError) {
      sendJson(res, error.status, { error: error.error, error_description: error.message })
    } else if (error instanceof EmulatorError) {
      sendJson(res, 400, { error: error.code, error_description: error.message })
    } else {
      // The socket went away mid-body (client abort or close()): nobody to answer.
      res.destroy()
    }
  }
}
