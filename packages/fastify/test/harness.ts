/**
 * Shared set-up of the plugin's tests: one emulator per file, apps and providers closed after
 * each test, and a logger that writes into an array.
 */
import type { KeylessTokenProvider } from '@keyless/core'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { imds, type ImdsOptions } from '@keyless/imds'
import { trackHandles as trackAll } from '@keyless/test-support'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { afterAll, afterEach, beforeAll } from 'vitest'

export { eventLoopTurns } from '@keyless/test-support'

export const VAULT = 'https://vault.azure.net/.default'
export const STORAGE = 'https://storage.azure.com/.default'

export interface Harness {
  readonly emulator: Emulator
  /** An IMDS provider on the emulator, closed after the test (the caller's own provider). */
  provider(options?: ImdsOptions): KeylessTokenProvider
  /** An IMDS provider on the emulator that nobody closes but its owner. */
  unmanagedProvider(options?: ImdsOptions): KeylessTokenProvider
  /** A Fastify app, closed after the test. */
  app(options?: FastifyServerOptions): FastifyInstance
}

/** Registers the hooks and returns the harness; call at the top of a test file. */
export function useHarness(): Harness {
  let emulator: Emulator | undefined
  const apps: FastifyInstance[] = []
  const providers: KeylessTokenProvider[] = []

  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
    await Promise.all(providers.splice(0).map((p) => p.close()))
    emulator?.reset()
  })
  afterAll(async () => {
    await emulator?.close()
  })

  const harness: Harness = {
    get emulator(): Emulator {
      if (emulator === undefined) throw new Error('the emulator starts in beforeAll')
      return emulator
    },
    provider(options = {}) {
      const p = harness.unmanagedProvider(options)
      providers.push(p)
      return p
    },
    unmanagedProvider(options = {}) {
      return imds({ endpoint: harness.emulator.url, ...options })
    },
    app(options = {}) {
      const app = Fastify(options)
      apps.push(app)
      return app
    },
  }
  return harness
}

/** A Fastify `logger` option that collects every log line (parsed JSON) into `lines`. */
export function captureLogs(level = 'info'): { logger: { level: string; stream: { write(line: string): void } }; lines: string[] } {
  const lines: string[] = []
  return { logger: { level, stream: { write: (line) => void lines.push(line) } }, lines }
}

/**
 * The active sockets, servers and file watchers, counted by kind. Timers are left to
 * {@link trackHandles}: `getActiveResourcesInfo()` lists only ref'd timers, and vitest's own
 * runner keeps a ref'd timer that comes and goes during a test (its throttled task updates).
 */
export function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = { TCPSocketWrap: 0, TCPServerWrap: 0, FSEventWrap: 0 }
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

/**
 * Every timer, socket, server and file watcher made from now on and not yet destroyed, by type
 * (`@keyless/test-support`'s tracker, which also sees unref'd timers and leaves out vitest's own
 * and the process-wide ones).
 */
export function trackHandles(): { live(): string[]; stop(): void } {
  const tracker = trackAll()
  return { live: () => tracker.live().map((handle) => handle.type).sort(), stop: () => tracker.stop() }
}
