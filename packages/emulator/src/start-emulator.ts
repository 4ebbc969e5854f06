/**
 * `startEmulator()`: a loopback emulator of Azure managed-identity token endpoints.
 *
 * @module
 */
import { APP_SERVICE_TOKEN_PATH, LEGACY_APP_SERVICE_TOKEN_PATH } from './app-service/app-service-constants.js'
import { createAppServiceDialect } from './app-service/app-service-dialect.js'
import { createLegacyAppServiceDialect } from './app-service/legacy-app-service-dialect.js'
import { EmulatorError } from './emulator-error.js'
import { resolveOptions } from './emulator-options.js'
import type { EmulatorOptions } from './emulator-options.js'
import type { Emulator, EntraEndpoint } from './emulator.js'
import { startEntraServer } from './entra/start-entra-server.js'
import type { EntraServer } from './entra/start-entra-server.js'
import { envFor } from './env-for.js'
import { createFaultBoard } from './faults/fault-board.js'
import { createIdentityRegistry } from './identity/identity-registry.js'
import { IMDS_TOKEN_PATH } from './imds/imds-constants.js'
import { createImdsDialect } from './imds/imds-dialect.js'
import { createImdsLimits } from './imds/imds-limits.js'
import { createRequestHandler } from './server/create-request-handler.js'
import { jwksRoute, tenantJwksPath } from './server/jwks-route.js'
import { listenLoopback } from './server/loopback-server.js'
import type { LoopbackServer } from './server/loopback-server.js'
import { createRealTimers } from './server/real-timers.js'
import { createRedactor } from './server/redactor.js'
import { createRequestLog } from './server/request-log.js'
import type { TokenDeps } from './server/serve-token.js'
import { createTokenSigner } from './tokens/token-signer.js'
import { createWorkloadIdentityFiles } from './workload-identity/workload-identity-files.js'

/**
 * Starts the emulator on 127.0.0.1 (never another address) and resolves once both servers listen.
 *
 * The HTTP server speaks IMDS at `/metadata/identity/oauth2/token` (protocols.md §2), App
 * Service 2019-08-01 at `/msi/token` (§3) and 2017-09-01 at `/msi/legacy/token` (§4), and the
 * admin API at `/_admin/*`. A second server, HTTPS with a CA generated at start, is the Entra
 * v2.0 authority that AKS Workload Identity exchanges its service-account token with (§8).
 * Tokens are RS256, signed by a key generated at start and served as a JWKS; faults are
 * scripted from code (`emulator.faults`, `emulator.faultsFor()`) or `POST /_admin/faults`.
 *
 * Throws `ERR_EMULATOR_CONFIG` for invalid options and `ERR_EMULATOR_LISTEN` when a port
 * cannot be bound. Every emulator must be closed (`close()` or `await using`): that also
 * removes the temp directory of the CA file and the service-account token.
 *
 * @example
 * ```ts
 * import { ManagedIdentityCredential } from '@azure/identity'
 *
 * await using emulator = await startEmulator()
 * Object.assign(process.env, emulator.envFor('app-service'))
 * emulator.faultsFor('app-service').enqueue({ status: 503 }, { status: 429, retryAfter: '1' })
 * const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')
 * ```
 */
export async function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  const config = resolveOptions(options)
  // Key and certificate generation take most of the start-up; run them side by side.
  const [signed, prepared] = await Promise.allSettled([
    createTokenSigner(config.tenantId, config.now),
    createWorkloadIdentityFiles(config.workloadIdentity.serviceAccountTokenLifetimeMs / 1000, config.now),
  ])
  if (signed.status === 'rejected' || prepared.status === 'rejected') {
    if (prepared.status === 'fulfilled') await prepared.value.remove()
    throw signed.status === 'rejected' ? signed.reason : (prepared as PromiseRejectedResult).reason
  }
  const signer = signed.value
  const files = prepared.value
  const identities = createIdentityRegistry(config.systemAssigned, config.userAssigned)
  const limits = createImdsLimits(config.limits, config.now)
  const faults = createFaultBoard()
  const redact = createRedactor(() => [config.appServiceHeader, config.legacySecret, ...files.tokenFile.issued])
  const log = createRequestLog(config.now, redact)
  const timers = createRealTimers()
  const tokenDeps: TokenDeps = { signer, faults, timers, log, lifetimeS: config.tokenLifetimeMs / 1000 }

  const admin = {
    faults: faults.shared,
    faultsFor: faults.faultsFor,
    get requests() {
      return log.entries
    },
    get counters() {
      return log.counters
    },
    get limits() {
      return limits.enabled
    },
    reset() {
      log.clear()
      faults.clear()
    },
    setLimits(on: boolean) {
      limits.enabled = on
    },
  }
  const handler = createRequestHandler({
    ...tokenDeps,
    dialects: [
      createImdsDialect(identities, limits),
      createAppServiceDialect(identities, config.appServiceHeader),
      createLegacyAppServiceDialect(identities, config.legacySecret),
    ],
    routes: [jwksRoute(config.tenantId, signer.jwks)],
    admin,
  })
  let server: LoopbackServer
  let entraServer: EntraServer
  try {
    server = await listenLoopback(config.port, handler)
  } catch (error: unknown) {
    await files.remove()
    throw error
  }
  try {
    entraServer = await startEntraServer({
      port: config.entraPort,
      tenantId: config.tenantId,
      jwks: signer.jwks,
      workloadIdentity: config.workloadIdentity,
      files,
      redact,
      now: config.now,
      tokenDeps,
    })
  } catch (error: unknown) {
    await Promise.all([server.close(), files.remove()])
    throw error
  }

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      timers.cancelAll()
      await Promise.all([server.close(), entraServer.close()])
      // After the servers are gone, so a waiter's rejection is not left unhandled across the
      // file-system work of close().
      log.rejectWaits(closedError())
    })()
    return closing
  }
  const entra: EntraEndpoint = Object.freeze({
    authorityHost: entraServer.authorityHost,
    tokenEndpoint: entraServer.tokenEndpoint,
    caPem: files.certificates.caPem,
    caFile: files.caFile,
    tenantId: config.tenantId,
    clientId: config.workloadIdentity.identity.clientId,
    identity: config.workloadIdentity.identity,
    tokenFile: files.tokenFile.path,
    rotateServiceAccountToken: () => (closing === undefined ? files.tokenFile.rotate() : Promise.reject(closedError())),
  })
  const endpoints = {
    url: server.url,
    appService: Object.freeze({ endpoint: server.url + APP_SERVICE_TOKEN_PATH, header: config.appServiceHeader }),
    legacyAppService: Object.freeze({ endpoint: server.url + LEGACY_APP_SERVICE_TOKEN_PATH, secret: config.legacySecret }),
    entra,
  }

  return {
    ...endpoints,
    port: server.port,
    imdsEndpoint: server.url + IMDS_TOKEN_PATH,
    jwksUri: server.url + tenantJwksPath(config.tenantId),
    issuer: signer.issuer,
    tenantId: config.tenantId,
    identities: Object.freeze({ systemAssigned: config.systemAssigned, userAssigned: config.userAssigned }),
    env: Object.freeze(envFor('imds', endpoints)),
    envFor: (source) => envFor(source, endpoints),
    faults: faults.shared,
    faultsFor: (endpoint) => faults.faultsFor(endpoint),
    get requests() {
      return log.entries
    },
    get counters() {
      return log.counters
    },
    get limits() {
      return admin.limits
    },
    setLimits: (on) => admin.setLimits(on),
    reset: () => admin.reset(),
    verify: (token, verifyOptions) => signer.verify(token, verifyOptions),
    waitForRequests: (count) => (closing === undefined ? log.waitForTokenRequests(count) : Promise.reject(closedError())),
    close,
    [Symbol.asyncDispose]: close,
  }
}

function closedError(): EmulatorError {
  return new EmulatorError('ERR_EMULATOR_CLOSED', 'the emulator was closed')
}
