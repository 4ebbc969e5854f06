/**
 * `startEmulator()`: a loopback emulator of Azure managed-identity token endpoints.
 *
 * @module
 */
import { EmulatorError } from './emulator-error.js'
import { resolveOptions } from './emulator-options.js'
import type { EmulatorOptions } from './emulator-options.js'
import type { Emulator } from './emulator.js'
import { ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST } from './env-names.js'
import { createFaultController } from './faults/fault-controller.js'
import { createIdentityRegistry } from './identity/identity-registry.js'
import { IMDS_TOKEN_PATH } from './imds/imds-constants.js'
import { createImdsDialect } from './imds/imds-dialect.js'
import { createImdsLimits } from './imds/imds-limits.js'
import { createRequestHandler, tenantJwksPath } from './server/create-request-handler.js'
import { listenLoopback } from './server/loopback-server.js'
import { createRealTimers } from './server/real-timers.js'
import { createRequestLog } from './server/request-log.js'
import { createTokenSigner } from './tokens/token-signer.js'

/**
 * Starts the emulator on 127.0.0.1 (never another address) and resolves once it listens.
 *
 * It speaks the IMDS token protocol at `/metadata/identity/oauth2/token` (protocols.md §2),
 * mints RS256 tokens with a key generated at start, serves that key as a JWKS, and takes
 * scripted faults from code (`emulator.faults`) or from `POST /_admin/faults`.
 *
 * Throws `ERR_EMULATOR_CONFIG` for invalid options and `ERR_EMULATOR_LISTEN` when the port
 * cannot be bound. Every emulator must be closed (`close()` or `await using`).
 *
 * @example
 * ```ts
 * import { ManagedIdentityCredential } from '@azure/identity'
 *
 * await using emulator = await startEmulator()
 * process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = emulator.url
 * emulator.faults.enqueue({ status: 503 }, { status: 429, retryAfter: '1' })
 * const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')
 * ```
 */
export async function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  const config = resolveOptions(options)
  const signer = await createTokenSigner(config.tenantId, config.now)
  const identities = createIdentityRegistry(config.systemAssigned, config.userAssigned)
  const limits = createImdsLimits(config.limits, config.now)
  const faults = createFaultController()
  const log = createRequestLog(config.now)
  const timers = createRealTimers()

  const admin = {
    faults: faults.faults,
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
      faults.faults.clear()
    },
    setLimits(on: boolean) {
      limits.enabled = on
    },
  }
  const handler = createRequestHandler({
    dialects: [createImdsDialect(identities, limits)],
    tenantId: config.tenantId,
    jwks: signer.jwks,
    admin,
    signer,
    faults,
    timers,
    log,
    lifetimeS: config.tokenLifetimeMs / 1000,
  })
  const server = await listenLoopback(config.port, handler)

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      timers.cancelAll()
      log.rejectWaits(closedError())
      await server.close()
    })()
    return closing
  }

  return {
    url: server.url,
    port: server.port,
    imdsEndpoint: server.url + IMDS_TOKEN_PATH,
    jwksUri: server.url + tenantJwksPath(config.tenantId),
    issuer: signer.issuer,
    tenantId: config.tenantId,
    identities: Object.freeze({ systemAssigned: config.systemAssigned, userAssigned: config.userAssigned }),
    env: Object.freeze({ [ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]: server.url }),
    faults: faults.faults,
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
