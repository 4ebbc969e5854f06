/**
 * The AbortSignal of one request's lifetime: it aborts when the client goes away before the
 * response is finished, so waits for a token on behalf of that client are released.
 *
 * @module
 */
import { KeylessError } from '@keyless/core'
import type { Request } from 'express'
import { SOURCE } from './check-options.js'

const signals = new WeakMap<object, AbortSignal>()

/**
 * The error a request's signal aborts with when its client disconnects.
 *
 * @example
 * ```ts
 * controller.abort(clientGone())
 * ```
 */
export function clientGone(): KeylessError {
  return new KeylessError('aborted', `${SOURCE}: the client disconnected before the response was sent; its wait for a token was released`, {
    source: SOURCE,
  })
}

/**
 * The signal of `req`'s lifetime, made on first use (one controller and one `close` listener per
 * request that waits for a token; none for requests that do not). `undefined` when `req` has no
 * response attached (not a request Express dispatched).
 *
 * The signal aborts when the response closes before it finished: the client disconnected, or the
 * socket broke. A response that finished normally never aborts it, so work that outlives the
 * response on purpose is not cancelled.
 *
 * @example
 * ```ts
 * const signal = clientSignal(req)
 * await provider.getToken(scope, { signal })
 * ```
 */
export function clientSignal(req: Request): AbortSignal | undefined {
  const known = signals.get(req)
  if (known !== undefined) return known
  const res = req.res
  if (res === undefined) return undefined
  const controller = new AbortController()
  if (res.closed) {
    if (!res.writableFinished) controller.abort(clientGone())
  } else {
    // `res` emits `close` both after a normal finish and when the connection drops first
    // (https://nodejs.org/api/http.html#event-close_2); `req`'s own `close` also fires once its
    // body is consumed, so it cannot tell the two apart.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(clientGone())
    })
  }
  signals.set(req, controller.signal)
  return controller.signal
}
