/**
 * The HTTPS half of the emulator: the Entra v2.0 authority on 127.0.0.1.
 *
 * @module
 */
import { createRequestHandler } from '../server/create-request-handler.js'
import { jwksRoute } from '../server/jwks-route.js'
import { listenLoopback } from '../server/loopback-server.js'
import type { Redactor } from '../server/redactor.js'
import type { TokenDeps } from '../server/serve-token.js'
import type { Jwks } from '../tokens/token-signer.js'
import type { WorkloadIdentityFiles } from '../workload-identity/workload-identity-files.js'
import type { ResolvedWorkloadIdentity } from '../workload-identity-options.js'
import { entraTokenPath } from './entra-constants.js'
import { createEntraDialect } from './entra-dialect.js'
import { createEntraErrors } from './entra-errors.js'
import { openIdConfigurationRoute } from './openid-configuration.js'

/** What the Entra server needs; internal. */
export interface EntraServerOptions {
  readonly port: number
  readonly tenantId: string
  readonly jwks: Jwks
  readonly workloadIdentity: ResolvedWorkloadIdentity
  /** Certificates, CA file and token file; `close()` removes them. */
  readonly files: WorkloadIdentityFiles
  /** Keeps the emulator's secrets out of echoed values. */
  readonly redact: Redactor
  readonly now: () => number
  readonly tokenDeps: TokenDeps
}

/** A running Entra server; internal. */
export interface EntraServer {
  readonly authorityHost: string
  readonly tokenEndpoint: string
  /** Closes the server, then removes the files. Idempotent. */
  close(): Promise<void>
}

/**
 * Listens with TLS and serves the openid-configuration, the JWKS and the token endpoint of
 * `tenantId`. Rejects with `ERR_EMULATOR_LISTEN`; the caller still owns `files` then.
 */
export async function startEntraServer(options: EntraServerOptions): Promise<EntraServer> {
  const { tenantId, workloadIdentity, files, now } = options
  const errors = createEntraErrors(now)
  // The authority host is known once the port is; the openid-configuration reads it per request.
  let authorityHost = ''
  const handler = createRequestHandler({
    ...options.tokenDeps,
    dialects: [
      createEntraDialect({
        tenantId,
        identity: workloadIdentity.identity,
        assertion: () => files.tokenFile.current,
        refreshInSeconds: workloadIdentity.refreshInSeconds,
        redact: options.redact,
        errors,
        now,
      }),
    ],
    routes: [jwksRoute(tenantId, options.jwks), openIdConfigurationRoute(() => authorityHost, tenantId, errors, options.redact)],
  })
  const { certificates } = files
  const server = await listenLoopback(options.port, handler, { key: certificates.keyPem, cert: certificates.certPem })
  authorityHost = server.url

  let closing: Promise<void> | undefined
  return {
    authorityHost,
    tokenEndpoint: authorityHost + entraTokenPath(tenantId),
    close() {
      closing ??= server.close().then(() => files.remove())
      return closing
    },
  }
}
