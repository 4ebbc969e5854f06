/**
 * Routes each request: admin, a dialect's token endpoint, a plain route, or 404.
 *
 * @module
 */
import type { RequestListener } from 'node:http'
import { ADMIN_PATH_PREFIX, handleAdmin } from '../admin/admin-handler.js'
import type { AdminTarget } from '../admin/admin-handler.js'
import { createExchange } from './exchange.js'
import type { ResetConnection } from './loopback-server.js'
import { normalizePath, parseRequestTarget } from './request-target.js'
import type { Route } from './route.js'
import { serveToken } from './serve-token.js'
import type { TokenDeps } from './serve-token.js'
import type { TokenDialect } from './token-dialect.js'

/** Everything the routes of one server read; internal. */
export interface HandlerDeps extends TokenDeps {
  readonly dialects: readonly TokenDialect[]
  readonly routes: readonly Route[]
  /** The admin endpoints, on the HTTP server only. */
  readonly admin?: AdminTarget | undefined
}

/** Builds a server's request listener, given how to reset a connection. */
export function createRequestHandler(deps: HandlerDeps): (reset: ResetConnection) => RequestListener {
  return (reset) => (req, res) => {
    const { path, query } = parseRequestTarget(req.url)
    const normalized = normalizePath(path)
    if (deps.admin !== undefined && (normalized === ADMIN_PATH_PREFIX || normalized.startsWith(`${ADMIN_PATH_PREFIX}/`))) {
      void handleAdmin(req, res, normalized, deps.admin)
      return
    }
    const dialect = deps.dialects.find((candidate) => candidate.matches(normalized))
    const route = dialect === undefined ? deps.routes.find((candidate) => candidate.matches(normalized)) : undefined
    const log = deps.log.begin(req.method ?? 'GET', path, query, dialect?.name ?? route?.endpoint ?? 'other', res)
    const exchange = createExchange(req, res, path, query, log, reset)
    if (dialect !== undefined) {
      serveToken(exchange, dialect, deps).catch((error: unknown) => {
        log.dispatched()
        const name = error instanceof Error ? error.name : 'unknown'
        exchange.reply(500, { error: 'emulator_failure', error_description: `the emulator failed (${name})` })
      })
    } else if (route !== undefined) {
      route.serve(exchange)
    } else {
      exchange.reply(404, { error: 'not_found', error_description: 'no such endpoint on the emulator' })
    }
  }
}
