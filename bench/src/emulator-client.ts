/**
 * Forks `emulator-host.js` (a `@keyless/emulator` in its own process) and talks to it over IPC.
 *
 * @module
 */
import { childChannel } from './child-channel.js'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EmulatorCounters } from '@keyless/emulator'
import type { HostControl, HostOptions, HostReply } from './emulator-host.js'

/** A running emulator in a child process. */
export interface EmulatorProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /**
   * The Workload Identity environment (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
   * `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST` = the HTTPS Entra server on 127.0.0.1,
   * `NODE_EXTRA_CA_CERTS` = its CA file), for a child process started with it.
   */
  readonly wiEnv: Readonly<Record<string, string>>
  /** The emulator's `counters` now. */
  counters(): Promise<EmulatorCounters>
  /** The request log counted by endpoint (`imds`, `entra`, `openid-configuration`, …). */
  endpoints(): Promise<Record<string, number>>
  /** Applies faults, latency, a clock offset or a reset; resolves once applied. */
  control(change: HostControl): Promise<void>
  /** Sends one host request and resolves with its reply (for run.js's relay). */
  ask(type: string, payload?: Record<string, unknown>): Promise<Record<string, unknown>>
  /** Closes the emulator process (a shared one is left to run.js). */
  close(): Promise<void>
}

/**
 * The variable run.js sets for its children: `{ url, wiEnv }` of the emulator process it shares
 * with every scenario. A scenario reaches it through run.js (IPC messages with `channel: 'emulator'`).
 */
export const SHARED_EMULATOR_ENV = 'BENCH_SHARED_EMULATOR'

/** A message between a scenario and run.js's relay to the shared emulator. */
export interface RelayMessage {
  channel: 'emulator'
  type: string
  id: number
  [key: string]: unknown
}

/** An {@link EmulatorProcess} built on a function that asks the host. */
function emulatorOf(url: string, wiEnv: Record<string, string>, ask: EmulatorProcess['ask'], close: () => Promise<void>): EmulatorProcess {
  if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(url)) throw new Error(`emulator url is not loopback: ${url}`)
  if (!/^https:\/\/127\.\d+\.\d+\.\d+:\d+\/?$/.test(wiEnv['AZURE_AUTHORITY_HOST'] ?? '')) throw new Error('emulator Entra authority is not loopback')
  return {
    url,
    wiEnv,
    counters: async () => ((await ask('counters')) as { counters: EmulatorCounters }).counters,
    endpoints: async () => ((await ask('endpoints')) as { endpoints: Record<string, number> }).endpoints,
    control: async (change) => {
      await ask('control', { ...change })
    },
    ask,
    close,
  }
}

/**
 * The emulator of a scenario: run.js's shared one (reset first: log, counters, faults, latency and
 * clock offset cleared) when the scenario needs no options of its own, else a new emulator process.
 */
export async function connectEmulator(options: HostOptions = {}): Promise<EmulatorProcess> {
  const shared = process.env[SHARED_EMULATOR_ENV]
  if (shared === undefined || Object.keys(options).length > 0 || process.send === undefined) return startEmulatorProcess(options)
  const { url, wiEnv } = JSON.parse(shared) as { url: string; wiEnv: Record<string, string> }
  let nextId = 0
  const pending = new Map<number, (reply: Record<string, unknown>) => void>()
  process.on('message', (message: Partial<RelayMessage>) => {
    if (message?.channel !== 'emulator' || typeof message.id !== 'number') return
    pending.get(message.id)?.(message as Record<string, unknown>)
    pending.delete(message.id)
  })
  const ask: EmulatorProcess['ask'] = (type, payload = {}) =>
    new Promise((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      process.send?.({ ...payload, channel: 'emulator', type, id } satisfies RelayMessage)
    })
  const emulator = emulatorOf(url, wiEnv, ask, async () => {})
  await emulator.control({ reset: true })
  return emulator
}

const HOST = fileURLToPath(new URL('./emulator-host.js', import.meta.url))

/** Starts the emulator process and resolves once it listens on 127.0.0.1. */
export async function startEmulatorProcess(options: HostOptions = {}): Promise<EmulatorProcess> {
  // execArgv: [] so the host does not inherit --expose-gc or heap flags meant for the measured process.
  const child: ChildProcess = fork(HOST, [JSON.stringify(options)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await new Promise<Extract<HostReply, { type: 'ready' }>>((resolve, reject) => {
    const onMessage = (message: HostReply): void => {
      if (message.type !== 'ready') return
      child.off('exit', onExit)
      resolve(message)
    }
    const onExit = (code: number | null): void => reject(new Error(`emulator host exited early (code ${code})`))
    child.once('message', onMessage)
    child.once('exit', onExit)
  })
  const channel = childChannel(child)
  return emulatorOf(ready.url, ready.wiEnv, (type, payload) => channel.ask(type, payload), () => channel.close())
}
