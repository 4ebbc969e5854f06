/**
 * The undici dispatch handler behind `bearerAuth()`: one stable controller for the caller across
 * the (at most two) attempts of a request, and the claims-challenge retry.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import { errors, type Dispatcher } from 'undici'
import { parseClaimsChallenge } from './claims-challenge.js'

type Controller = Dispatcher.DispatchController
type RawHeaders = NonNullable<Controller['rawHeaders']> | null

/**
 * Wraps the caller's undici handler for a request that carries our token.
 *
 * The caller's handler gets `onRequestStart` once, from {@link BearerAuthHandler.start}, before
 * the token is known, with a controller that stays valid across attempts: aborting it while the
 * token is awaited fails the request at once, and no attempt is sent afterwards. When `retry` is
 * given and the answer is a 401 carrying a CAE claims challenge from the origin we authorized,
 * that response is drained without reaching the caller and `retry(claims)` is called, once; a
 * second 401 reaches the caller as any response does.
 *
 * @example
 * ```ts
 * const authHandler = new BearerAuthHandler(handler, origin, (claims) => send(claims))
 * authHandler.start()
 * dispatch({ ...opts, headers }, authHandler)
 * ```
 */
export class BearerAuthHandler implements Dispatcher.DispatchHandler {
  readonly #handler: Dispatcher.DispatchHandler
  readonly #origin: string
  readonly #controller: AttemptController
  #retry: ((claims: string) => void) | undefined
  #context: unknown
  #claims: string | undefined
  #settled = false

  constructor(handler: Dispatcher.DispatchHandler, origin: string, retry: ((claims: string) => void) | undefined) {
    this.#handler = handler
    this.#origin = origin
    this.#retry = retry
    this.#controller = new AttemptController((reason) => this.fail(reason))
  }

  /** True once the caller's handler has had its last callback (end or error): send nothing more. */
  get settled(): boolean {
    return this.#settled
  }

  /** Gives the caller's handler its controller; call once, before the first attempt. */
  start(): void {
    this.#handler.onRequestStart?.(this.#controller, {})
  }

  /** Ends the request with our own `error` (the token provider failed, or dispatch threw), unless it already ended. */
  fail(error: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#controller.detach()
    this.#handler.onResponseError?.(this.#controller, error)
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#context = context
    this.#controller.attach(controller)
  }

  onRequestUpgrade(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#settled = true
    this.#handler.onRequestUpgrade?.(this.#controller, statusCode, headers, socket)
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode === 401 && this.#retry !== undefined && this.#answeredByOurOrigin()) {
      this.#claims = parseClaimsChallenge(headers['www-authenticate'])
      if (this.#claims !== undefined) return
    }
    this.#handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage)
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    if (this.#claims === undefined) this.#handler.onResponseData?.(this.#controller, chunk)
  }

  onResponseEnd(_controller: Controller, trailers: IncomingHttpHeaders): void {
    const claims = this.#claims
    const retry = this.#retry
    if (claims === undefined || retry === undefined) {
      this.#settled = true
      this.#handler.onResponseEnd?.(this.#controller, trailers)
      return
    }
    this.#claims = undefined
    this.#retry = undefined
    this.#controller.detach()
    retry(claims)
  }

  // Always forwarded, even after onResponseEnd: undici reports an error thrown by the caller's
  // handler this way (undici's retry handler throws from onResponseEnd to get its retry).
  onResponseError(_controller: Controller, error: Error): void {
    this.#settled = true
    this.#claims = undefined
    this.#handler.onResponseError?.(this.#controller, error)
  }

  // With undici's redirect interceptor composed inside ours, a 401 may come from another origin
  // (that hop got no token); its challenge is not about our token. The redirect handler passes the
  // URLs it visited as `context.history`, the last one being the one that answered.
  #answeredByOurOrigin(): boolean {
    const history = typeof this.#context === 'object' && this.#context !== null ? (this.#context as { history?: unknown }).history : undefined
    if (!Array.isArray(history) || history.length === 0) return true
    const last: unknown = history.at(-1)
    return last instanceof URL && last.origin === this.#origin
  }
}

/**
 * The controller the caller holds: forwards to the current attempt's controller and remembers a
 * pause or an abort across attempts.
 */
class AttemptController implements Controller {
  #target: Controller | undefined
  #paused = false
  #reason: Error | null = null
  readonly #abortDetached: (reason: Error) => void

  constructor(abortDetached: (reason: Error) => void) {
    this.#abortDetached = abortDetached
  }

  attach(target: Controller): void {
    this.#target = target
    if (this.#reason !== null) target.abort(this.#reason)
    else if (this.#paused) target.pause()
  }

  detach(): void {
    this.#target = undefined
  }

  get aborted(): boolean {
    return this.#reason !== null || (this.#target?.aborted ?? false)
  }

  get paused(): boolean {
    return this.#paused
  }

  get reason(): Error | null {
    return this.#reason ?? this.#target?.reason ?? null
  }

  get rawHeaders(): RawHeaders {
    return this.#target?.rawHeaders ?? null
  }

  get rawTrailers(): RawHeaders {
    return this.#target?.rawTrailers ?? null
  }

  abort(reason?: Error): void {
    if (this.#reason !== null) return
    this.#reason = reason ?? new errors.RequestAbortedError()
    if (this.#target !== undefined) this.#target.abort(this.#reason)
    else this.#abortDetached(this.#reason)
  }

  pause(): void {
    this.#paused = true
    this.#target?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#target?.resume()
  }
}
