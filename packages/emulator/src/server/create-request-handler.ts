/**
 * Routes each request: admin, a dialect's token endpoint, the JWKS, or 404.
 *
 * @module
 */
import type { RequestListener } from 'node:http'
import { ADMIN_PATH_PREFIX, handleAdmin } from '../admin/admin-handler.js'
import type { AdminTarget } from '../admin/admin-handler.js'
import type { Jwks } from '../tokens/token-signer.js'
import { createExchange } from './exchange.js'
import { normalizePath, parseRequestTarget } from './request-target.js'
import { serveToken } from './serve-token.js'
import type { TokenDeps } from './serve-token.js'
import type { TokenDialect } from './token-dialect.js'

/** The well-known JWKS path, served besides the Entra-style one. */
export const WELL_KNOWN_JWKS_PATH = '/.well-known/jwks.json'

/** The Entra-style JWKS path of a tenant. */
export function tenantJwksPath(tenantId: string): string {
  return `/${tenantId}/discovery/v2.0/keys`
}

/** Everything the routes read; internal. */
export interface HandlerDeps extends TokenDeps {
  readonly dialects: readonly TokenDialect[]
  readonly tenantId: string
  readonly jwks: Jwks
  readonly admin: AdminTarget
}

/** Builds the server's request listener. */
export function createRequestHandler(deps: HandlerDeps): RequestListener {
  const jwksPaths = new Set([WELL_KNOWN_JWKS_PATH, normalizePath(tenantJwksPath(deps.tenantId))])
  return (req, res) => {
    const { path, query } = parseRequestTarget(req.url)
    const normalized = normalizePath(path)
    if (normalized === ADMIN_PATH_PREFIX || normalized.startsWith(`${ADMIN_PATH_PREFIX}/`)) {
      void handleAdmin(req, res, normalized, deps.admin)
      return
    }
    const dialect = deps.dialects.find((candidate) => candidate.matches(normalized))
    const log = deps.log.begin(req.method ?? 'GET', path, query, dialect !== undefined, res)
    const exchange = createExchange(req, res, path, query, log)
    if (dialect !== undefined) {
      serveToken(exchange, dialect, deps).catch((error: unknown) => {
        const name = error instanceof Error ? error.name : 'unknown'
        exchange.reply(500, { error: 'emulator_failure', error_description: `the emulator failed (${name})` })
      })
    } else if (jwksPaths.has(normalized)) {
      if (req.method === 'GET' || req.method === 'HEAD') exchange.reply(200, deps.jwks, { 'Cache-Control': 'max-age=3600' })
      else exchange.reply(405, { error: 'method_not_allowed', error_description: 'use GET' }, { Allow: 'GET, HEAD' })
    } else {
      exchange.reply(404, { error: 'not_found', error_description: 'no such endpoint on the emulator' })
    }
  }
}
