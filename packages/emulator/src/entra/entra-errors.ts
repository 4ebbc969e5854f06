/**
 * Entra ID's OAuth error body: `{error, error_description, error_codes, timestamp, trace_id,
 * correlation_id}` (protocols.md §8.2). Descriptions start with their `AADSTS` code and never
 * carry the client assertion.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'

/** The error shape of the Entra v2.0 endpoints. */
export interface EntraErrorBody {
  readonly error: string
  readonly error_description: string
  readonly error_codes: readonly number[]
  /** `YYYY-MM-DD hh:mm:ssZ`, as Entra writes it. */
  readonly timestamp: string
  readonly trace_id: string
  /** The request's `client-request-id` when it sent one, as Entra echoes it; else a fresh GUID. */
  readonly correlation_id: string
}

/** Builds Entra error bodies stamped with the emulator's clock; internal. */
export interface EntraErrors {
  /** A body for `error` with `AADSTS{code}: {text}` as description. */
  body(error: string, code: number, text: string, correlationId?: string | null): EntraErrorBody
  /** The body a status fault sends. */
  forStatus(status: number): EntraErrorBody
}

const BY_STATUS: Readonly<Record<number, readonly [string, number, string]>> = {
  400: ['invalid_request', 900144, 'The request is not valid.'],
  401: ['invalid_client', 7000215, 'Invalid client secret provided.'],
  429: ['temporarily_unavailable', 90055, 'There are too many incoming requests; retry later.'],
  500: ['server_error', 50000, 'There was an error issuing a token or an issue with our sign-in service.'],
  503: ['temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'],
  504: ['temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'],
}

function timestamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** Creates the builder over the emulator clock `now` (epoch ms). */
export function createEntraErrors(now: () => number): EntraErrors {
  const body: EntraErrors['body'] = (error, code, text, correlationId) => {
    const at = timestamp(now())
    const traceId = randomUUID()
    const correlation = correlationId !== undefined && correlationId !== null && correlationId !== '' ? correlationId : randomUUID()
    return {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${at}`,
      error_codes: [code],
      timestamp: at,
      trace_id: traceId,
      correlation_id: correlation,
    }
  }
  return {
    body,
    forStatus(status) {
      const [error, code, text] = BY_STATUS[status] ?? [
        status >= 500 ? 'server_error' : 'invalid_request',
        50000,
        `Emulated failure with status ${status}.`,
      ]
      return body(error, code, text)
    },
  }
}
