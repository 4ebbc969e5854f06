/**
 * Turns a fault step into what goes on the wire.
 *
 * @module
 */
import type { Exchange } from '../server/exchange.js'
import { DEFAULT_OVERSIZED_BYTES } from './fault-step.js'
import type { FaultStep } from './fault-step.js'

/** Options of {@link FaultContext.tokenBody}. */
export interface TokenBodyOptions {
  /** Lifetime in seconds; negative for a token that already expired. Default: the emulator's. */
  readonly lifetimeS?: number
  /** The resource to echo instead of the requested one. */
  readonly echoResource?: string
  /** Drop `access_token` from the body. */
  readonly omitToken?: boolean
}

/** What a fault needs from the token flow; internal. */
export interface FaultContext {
  readonly exchange: Exchange
  /** The requested resource, verbatim. */
  readonly resource: string
  /** The dialect's error body for `status`. */
  errorBody(status: number): object
  /** Mints a token and builds the dialect's 200 body. */
  tokenBody(options?: TokenBodyOptions): Promise<Record<string, unknown>>
}

const NON_JSON_BODY = '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>\n'

/** A resource that differs from `resource` only by a trailing `/`, the mismatch MSAL trips on (protocols.md §1.4). */
function mismatchedResource(resource: string): string {
  return resource.endsWith('/') ? resource.slice(0, -1) : `${resource}/`
}

function padded(body: Record<string, unknown>, bytes: number): string {
  const bare = JSON.stringify({ ...body, padding: '' })
  return JSON.stringify({ ...body, padding: 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(bare))) })
}

/** Answers the exchange as `step` says (or leaves it hanging). */
export async function applyFault(step: FaultStep, context: FaultContext): Promise<void> {
  const { exchange } = context
  switch (step.kind) {
    case undefined:
    case 'status': {
      const headers = step.retryAfter === undefined ? {} : { 'Retry-After': step.retryAfter }
      if (step.body !== undefined) exchange.reply(step.status, step.body, headers)
      else if (step.status === 200) exchange.reply(200, await context.tokenBody(), headers)
      else exchange.reply(step.status, context.errorBody(step.status), headers)
      return
    }
    case 'hang':
      // Nothing is sent; close() destroys the socket.
      return
    case 'reset':
      exchange.reset()
      return
    case 'non-json':
      exchange.replyText(200, step.body ?? NON_JSON_BODY, step.contentType ?? 'text/html; charset=utf-8')
      return
    case 'oversized': {
      const body = await context.tokenBody()
      exchange.replyText(200, padded(body, step.bytes ?? DEFAULT_OVERSIZED_BYTES), 'application/json; charset=utf-8')
      return
    }
    case 'no-access-token':
      exchange.reply(200, await context.tokenBody({ omitToken: true }))
      return
    case 'resource-mismatch':
      exchange.reply(200, await context.tokenBody({ echoResource: mismatchedResource(context.resource) }))
      return
    case 'expires-in-past':
      exchange.reply(200, await context.tokenBody({ lifetimeS: -60 }))
      return
  }
}
