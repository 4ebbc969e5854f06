/**
 * The error handler that answers a `KeylessError` from a handler with a status of the app's
 * choosing, and passes every other error on untouched.
 *
 * @module
 */
import { isKeylessError } from '@keyless/core'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The body sent for a `KeylessError`: its stable code and its message (never a token).
 *
 * @example
 * ```ts
 * const { error } = (await app.inject('/secret')).json<KeylessErrorBody>() // 'endpoint-unavailable'
 * ```
 */
export interface KeylessErrorBody {
  readonly error: string
  readonly message: string
}

/**
 * Makes an error handler that replies `status` with `{ error: code, message }` to a
 * `KeylessError` and rethrows anything else, which Fastify hands to the error handler that was
 * in place before (its default one, or yours).
 *
 * Without it, Fastify's default handler would answer with the error's own `status`: the status
 * the token endpoint gave keyless (a 400 from IMDS, say), which would blame the client.
 * A failure is logged at `error` for a 5xx `status`, else `info` (as Fastify's default handler
 * does); `aborted` (the client left) at `info`.
 *
 * @example
 * ```ts
 * fastify.setErrorHandler(keylessErrorHandler(503))
 * ```
 */
export function keylessErrorHandler(status: number): (error: unknown, request: FastifyRequest, reply: FastifyReply) => void {
  return function handleKeylessError(error, request, reply) {
    if (!isKeylessError(error)) throw error
    const level = status >= 500 && error.code !== 'aborted' ? 'error' : 'info'
    request.log[level]({ err: error, code: error.code }, `keyless: no token for this request (${error.code})`)
    const body: KeylessErrorBody = { error: error.code, message: error.message }
    reply.code(status).send(body)
  }
}
