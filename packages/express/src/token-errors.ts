/**
 * `tokenErrors()`: the Express error middleware that answers a token failure with a JSON 503.
 *
 * @module
 */
import { isKeylessError, type KeylessError, type KeylessErrorCode } from '@keyless/core'
import type { ErrorRequestHandler } from 'express'
import { checkNumber, checkOptions } from './lib/check-options.js'

/** Default status of a response to a token failure. */
export const DEFAULT_TOKEN_ERROR_STATUS = 503

/** Options of {@link tokenErrors}. */
export interface TokenErrorsOptions {
  /** HTTP status (400–599) of the response. Default {@link DEFAULT_TOKEN_ERROR_STATUS}. */
  status?: number | undefined
}

/** The JSON body {@link tokenErrors} answers with. */
export interface TokenErrorBody {
  /** The KeylessError's code, such as `endpoint-unavailable`. */
  readonly error: KeylessErrorCode
  /** The KeylessError's message: what failed and what to do; never a token, header or response body. */
  readonly message: string
}

/**
 * Codes that mean the app is wrong, not that a token is unavailable: left to the app's own error
 * handling (usually a 500 and a log line), where a bug belongs.
 */
const APP_BUGS: ReadonlySet<KeylessErrorCode> = new Set(['config', 'invalid-scope'])

/** How deep the `cause` chain is searched for a `Retry-After`. */
const MAX_CAUSE_DEPTH = 4

/**
 * Makes an error middleware that answers a KeylessError with `status` (503 by default) and the
 * JSON body `{ error: code, message }`, with `Cache-Control: no-store`, and `Retry-After` (whole
 * seconds) when the endpoint said how long to wait.
 *
 * Everything else goes to `next(err)`: errors that are not KeylessErrors, `config` and
 * `invalid-scope` (bugs in the app, for its own handler), and any error once headers were sent.
 * KeylessError messages are safe to send: they never hold a token, a header value or a body.
 * Mount it after the routes. Throws a `config` KeylessError at once for bad options.
 *
 * @example
 * ```ts
 * app.use(keyless({ provider, scopes }))
 * app.get('/secret', async (req, res) => res.json(await readSecret((await requestToken(req)).token)))
 * app.use(tokenErrors())
 * ```
 */
export function tokenErrors(options: TokenErrorsOptions = {}): ErrorRequestHandler {
  const where = 'tokenErrors()'
  const checked = checkOptions(options, where, ['status'])
  const status = checkNumber(checked.status, 'status', where, { min: 400, max: 599, integer: true }) ?? DEFAULT_TOKEN_ERROR_STATUS
  return function tokenErrorHandler(err: unknown, _req, res, next) {
    if (!isKeylessError(err) || APP_BUGS.has(err.code) || res.headersSent) {
      next(err)
      return
    }
    const retryAfterMs = retryAfterOf(err)
    if (retryAfterMs !== undefined) res.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)))
    const body: TokenErrorBody = { error: err.code, message: err.message }
    res.status(status).set('Cache-Control', 'no-store').json(body)
  }
}

/** The first `retryAfterMs` along the error's `cause` chain (a fail-fast error wraps the original). */
function retryAfterOf(error: KeylessError): number | undefined {
  let current: unknown = error
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isKeylessError(current); depth++) {
    if (current.retryAfterMs !== undefined) return current.retryAfterMs
    current = current.cause
  }
  return undefined
}
