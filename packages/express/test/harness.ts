/**
 * What every test file here shares: one emulator per file, providers and Express servers closed
 * after each test, and a check that closing them left no socket or timer behind.
 */
import { createHook } from 'node:async_hooks'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { imds, type ImdsOptions } from '@keyless/imds'
import type { KeylessTokenProvider } from '@keyless/core'
import { eventLoopTurns, madeByRunner } from '@keyless/test-support'
import type { Express } from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest'

// The shared one: fake time advanced in steps while loopback I/O lands.
export { settle } from '@keyless/test-support'

export const VAULT = 'https://vault.azure.net/.default'
export const STORAGE = 'https://storage.azure.com/.default'

const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'] as const
type HandleCounts = Record<(typeof WATCHED)[number], number>

// vitest's runner batches its reports behind a throttle timer of its own (up to 100 ms, ref'd),
// which comes and goes between tests and would hide or fake one leaked timer. Its timers are
// recognised by where they were created and left out of the counts.
/** What a Node Timeout exposes: `_destroyed` turns true when it fires or is cleared, before `destroy` hooks run. */
interface NodeTimeout {
  hasRef(): boolean
  readonly _destroyed?: boolean
}
const runnerTimers = new Map<number, NodeTimeout>()
createHook({
  init(id, type, _trigger, resource) {
    if (type === 'Timeout' && madeByRunner(new Error().stack ?? '')) runnerTimers.set(id, resource as NodeTimeout)
  },
  destroy(id) {
    runnerTimers.delete(id)
  },
}).enable()

/** Counts of the handles a leak would show as (ref'd timers, client and server sockets), the test runner's own left out. */
export function handleCounts(): HandleCounts {
  const counts: HandleCounts = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 }
  for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name as keyof HandleCounts]++
  for (const timer of runnerTimers.values()) if (timer._destroyed !== true && timer.hasRef()) counts.Timeout--
  return counts
}

/**
 * The handles above `before`, once closing sockets had the event-loop turns they need to go away.
 * Waits on a condition, not a clock: it returns as soon as the counts are back, and gives up after
 * `eventLoopTurns`' 5 s (generous: on a loaded 2-core machine a closing socket can need a second or
 * more).
 */
export async function leakedSince(before: HandleCounts): Promise<Partial<HandleCounts>> {
  const leaked = (): Partial<HandleCounts> => {
    const now = handleCounts()
    return Object.fromEntries(WATCHED.filter((name) => now[name] > before[name]).map((name) => [name, now[name] - before[name]]))
  }
  await eventLoopTurns(() => Object.keys(leaked()).length === 0)
  return leaked()
}

/** Listens on 127.0.0.1, port 0; `close` stops the server and drops its keep-alive connections. */
export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (error?: Error) => (error === undefined ? resolve(s) : reject(error)))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      }),
  }
}

/**
 * Fakes only what the engine and warm-up schedule with (timers and `Date`), so delays run on fake
 * time while sockets to the emulator stay real.
 */
export function useEngineFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
}

export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
}

/** A promise and its resolve function (Promise.withResolvers is Node 22+). */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * Whether `for...in` lists `key` on `object`: own and inherited enumerable properties, which is
 * what loggers and shallow copies that walk an object see (`Object.keys` sees own ones only).
 */
export function enumerates(object: object, key: string): boolean {
  for (const listed in object) if (listed === key) return true
  return false
}

export interface Harness {
  readonly emulator: Emulator
  /** An IMDS provider on the emulator, closed after the test. */
  provider(options?: ImdsOptions): KeylessTokenProvider
  /** Serves `app` on loopback until the test ends; returns its base URL. */
  serve(app: Express): Promise<string>
}

/**
 * Registers the hooks: an emulator for the file, and after each test, real timers again, every
 * server then every provider closed, and no more sockets or ref'd timers than before the test.
 */
export function useHarness(): Harness {
  let emulator: Emulator | undefined
  let before: HandleCounts = handleCounts()
  const servers: (() => Promise<void>)[] = []
  const providers: KeylessTokenProvider[] = []

  beforeAll(async () => {
    emulator = await startEmulator()
  })
  beforeEach(() => {
    before = handleCounts()
  })
  afterEach(async () => {
    vi.useRealTimers()
    for (const close of servers.splice(0)) await close()
    await Promise.all(providers.splice(0).map((p) => p.close()))
    emulator?.reset()
    expect(await leakedSince(before), 'handles left open after closing the servers and providers').toEqual({})
  })
  afterAll(async () => {
    await emulator?.close()
  })

  const started = (): Emulator => {
    if (emulator === undefined) throw new Error('the emulator starts in beforeAll')
    return emulator
  }
  return {
    get emulator() {
      return started()
    },
    provider(options = {}) {
      const provider = imds({ endpoint: started().url, ...options })
      providers.push(provider)
      return provider
    },
    async serve(app) {
      const served = await listen(app)
      servers.push(served.close)
      return served.url
    },
  }
}
