/**
 * The columns of the fault matrix: one per source, each with the endpoint the tests drive (the
 * emulator, which can stop and come back on the same port) and the retry facts the cells state.
 */
import { appService, IDENTITY_ENDPOINT, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT, MSI_ENDPOINT, MSI_SECRET } from '@keyless/app-service'
import type { KeylessTokenProvider } from '@keyless/core'
import { startEmulator, type Emulator, type EmulatorOptions, type TokenEndpoint } from '@keyless/emulator'
import { imds } from '@keyless/imds'
import { workloadIdentity } from '@keyless/workload-identity'
import { vi } from 'vitest'
import type { ColumnFacts, SourceId } from './fault-rows.js'
import { startTcpRelay } from './tcp-relay.js'

/** A running endpoint of one column. */
export interface MatrixEndpoint {
  /** The emulator serving now (a new one after `start()`). */
  readonly emulator: Emulator
  /** A new provider of the column's source at the endpoint, `random() = 0.5` so delays are exact. */
  provider(): KeylessTokenProvider
  /** Nothing listens on the endpoint's port any more. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

export interface MatrixColumn {
  readonly id: SourceId
  /** Column heading in the doc. */
  readonly title: string
  /** Test file of the column, under tests/hardening/test/fault-matrix/. */
  readonly file: string
  /** The emulator endpoint whose fault script the tests use. */
  readonly endpoint: TokenEndpoint
  readonly facts: ColumnFacts
  /** Delays before retries 1, 2, ... with `random() = 0.5` (full jitter halfway between floor and ceiling). */
  readonly backoffMs: readonly number[]
  /**
   * Fake ms `settle()` moves per real ms. 100 for plain HTTP; 25 over TLS, so a handshake on a
   * loaded machine (tens of real ms) stays far inside the 5 s attempt timeout.
   */
  readonly settleStepMs: number
  open(): Promise<MatrixEndpoint>
}

const random = (): number => 0.5
/** Fixed so the App Service secrets stay the same when the emulator restarts on the same port. */
const EMULATOR_OPTIONS: EmulatorOptions = { appServiceHeader: 'fault-matrix-identity-header', legacySecret: 'fault-matrix-msi-secret' }

/** An emulator that `stop()` closes and `start()` starts again on the same ports. */
async function restartableEmulator(provider: (emulator: Emulator) => KeylessTokenProvider): Promise<MatrixEndpoint> {
  let emulator = await startEmulator(EMULATOR_OPTIONS)
  const port = emulator.port
  let running = true
  return {
    get emulator() {
      return emulator
    },
    provider: () => provider(emulator),
    async stop() {
      if (!running) return
      running = false
      await emulator.close()
    },
    async start() {
      if (running) return
      emulator = await startEmulator({ ...EMULATOR_OPTIONS, port })
      running = true
    },
    close: () => emulator.close(),
  }
}

function appServiceProvider(emulator: Emulator, endpoint: 'app-service' | 'app-service-2017'): KeylessTokenProvider {
  // The provider reads its environment when made; every App Service variable is set or unset here.
  for (const name of [IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET, IDENTITY_SERVER_THUMBPRINT]) vi.stubEnv(name, undefined)
  for (const [name, value] of Object.entries(emulator.envFor(endpoint))) vi.stubEnv(name, value)
  return appService({ random })
}

export const IMDS_COLUMN: MatrixColumn = {
  id: 'imds',
  title: 'IMDS',
  file: 'imds.test.ts',
  endpoint: 'imds',
  facts: { attempts: 6 },
  // floor 1 s, ceiling min(30 s, 2 s · 2^n)
  backoffMs: [1500, 2500, 4500, 8500, 15_500],
  settleStepMs: 100,
  open: () => restartableEmulator((emulator) => imds({ endpoint: emulator.url, random })),
}

export const APP_SERVICE_COLUMN: MatrixColumn = {
  id: 'app-service',
  title: 'App Service 2019',
  file: 'app-service.test.ts',
  endpoint: 'app-service',
  facts: { attempts: 4 },
  // floor 1 s, ceiling min(8 s, 1 s · 2^n)
  backoffMs: [1000, 1500, 2500],
  settleStepMs: 100,
  open: () => restartableEmulator((emulator) => appServiceProvider(emulator, 'app-service')),
}

export const LEGACY_APP_SERVICE_COLUMN: MatrixColumn = {
  ...APP_SERVICE_COLUMN,
  id: 'app-service-2017',
  title: 'App Service 2017 (legacy)',
  file: 'app-service-2017.test.ts',
  endpoint: 'app-service-2017',
  open: () => restartableEmulator((emulator) => appServiceProvider(emulator, 'app-service-2017')),
}

export const WORKLOAD_IDENTITY_COLUMN: MatrixColumn = {
  id: 'workload-identity',
  title: 'Workload Identity (Entra)',
  file: 'workload-identity.test.ts',
  endpoint: 'entra',
  facts: { attempts: 4 },
  // floor 0.5 s, ceiling min(30 s, 1 s · 2^n)
  backoffMs: [750, 1250, 2250],
  settleStepMs: 25,
  async open() {
    // The provider talks to Entra through a relay on a port of its own: stopping the relay is the
    // endpoint going away, and its CA and federated token stay valid when it comes back.
    // The projected service-account token lives 48 h (AKS: 1 h, rotated by the kubelet), so it is
    // still valid after a test jumps to the refresh point of a 24 h access token.
    const emulator = await startEmulator({ ...EMULATOR_OPTIONS, workloadIdentity: { serviceAccountTokenLifetimeMs: 48 * 3_600_000 } })
    const relay = await startTcpRelay(Number(new URL(emulator.entra.authorityHost).port))
    return {
      emulator,
      provider: () =>
        workloadIdentity({
          clientId: emulator.entra.clientId,
          tenantId: emulator.entra.tenantId,
          tokenFilePath: emulator.entra.tokenFile,
          authorityHost: `https://127.0.0.1:${relay.port}`,
          ca: emulator.entra.caPem,
          random,
        }),
      stop: () => relay.stop(),
      start: () => relay.start(),
      async close() {
        await relay.stop()
        await emulator.close()
      },
    }
  },
}

export const MATRIX_COLUMNS: readonly MatrixColumn[] = [IMDS_COLUMN, APP_SERVICE_COLUMN, LEGACY_APP_SERVICE_COLUMN, WORKLOAD_IDENTITY_COLUMN]
