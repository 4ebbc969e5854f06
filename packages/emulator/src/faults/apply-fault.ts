/**
 * Turns a fault step into what goes on the wire.
 *
 * @module
 */
import type { Exchange } from '../server/exchange.js'
import { DEFAULT_FAR_LIFETIME_S, DEFAULT_OVERSIZED_BYTES, DEFAULT_TRICKLE_INTERVAL_MS } from './fault-step.js'
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
  /** Waits `ms` on the real clock; `false` when `close()` cut the wait short. */
  wait(ms: number): Promise<boolean>
}

const JSON_TYPE = 'application/json; charset=utf-8'

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
      exchange.replyText(200, padded(body, step.bytes ?? DEFAULT_OVERSIZED_BYTES), JSON_TYPE)
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
    case 'expires-far':
      exchange.reply(200, await context.tokenBody({ lifetimeS: step.lifetimeS ?? DEFAULT_FAR_LIFETIME_S }))
      return
    case 'reset-mid-body':
    case 'hang-mid-body': {
      const text = JSON.stringify(await context.tokenBody())
      const body = exchange.startText(200, text, JSON_TYPE)
      if (body === undefined) return
      const sent = await body.send(step.bytes ?? Math.floor(body.remaining / 2))
      // The part is on the wire before the close, so the client sees headers and a cut body.
      if (sent && step.kind === 'reset-mid-body') body.drop()
      return
    }
    case 'trickle':
      await trickle(context, step.bytes ?? 1, step.intervalMs ?? DEFAULT_TRICKLE_INTERVAL_MS)
      return
  }
}

/** Sends a token body `bytes` at a time, `intervalMs` apart on the real clock, until it ends or the client leaves. */
async function trickle(context: FaultContext, bytes: number, intervalMs: number): Promise<void> {
  const body = context.exchange.startText(200, JSON.stringify(await context.tokenBody()), JSON_TYPE)
  if (body === undefined) return
  while (body.remaining > 0) {
    if (!(await body.send(bytes)) || body.remaining === 0) return
    if (!(await context.wait(intervalMs)) || context.exchange.gone) return
  }
}
