/**
 * A plain (non-token) route of a server: the JWKS, the openid-configuration.
 *
 * @module
 */
import type { RequestEndpoint } from '../token-endpoint.js'
import type { Exchange } from './exchange.js'

/** One route; internal. */
export interface Route {
  /** What the request log names it. */
  readonly endpoint: RequestEndpoint
  /** Whether a normalized path (see `normalizePath`) is this route. */
  matches(normalizedPath: string): boolean
  /** Answers the request through `exchange.reply`. */
  serve(exchange: Exchange): void
}

/** Answers GET and HEAD with `body`, anything else with 405. */
export function serveGetJson(exchange: Exchange, body: () => unknown, headers: Record<string, string> = {}): void {
  const method = exchange.req.method
  if (method === 'GET' || method === 'HEAD') exchange.reply(200, body(), headers)
  else exchange.reply(405, { error: 'method_not_allowed', error_description: 'use GET' }, { Allow: 'GET, HEAD' })
}
