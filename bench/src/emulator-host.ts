/**
 * A child process that runs one `@keyless/emulator` on 127.0.0.1, so the server's work (parsing,
 * RS256 signing) does not share the measured process's event loop. Forked by a scenario with
 * `HostOptions` as JSON in argv[2]; speaks over IPC: it sends `{ type: 'ready', url, wiEnv }`,
 * answers `{ type: 'counters', id }` with the emulator's counters, `{ type: 'endpoints', id }` with
 * the request log counted by endpoint, `{ type: 'control', id, ... }` by applying faults, latency
 * or a clock offset, and closes on `{ type: 'close' }` or when its parent goes away.
 *
 * @module
 */
import './loopback-guard.js'
import { startEmulator } from '@keyless/emulator'
import type { EmulatorCounters, FaultStep } from '@keyless/emulator'

/** Options of the emulator host, given by the scenario that forks it. */
export interface HostOptions {
  /** Lifetime of minted tokens (default: the emulator's, 24 h). */
  tokenLifetimeMs?: number
}

/** What a `control` message changes; applied in this order. */
export interface HostControl {
  /** Clears the shared fault script, `always` step and latency. */
  clearFaults?: boolean
  /** Every token request answers this step, until cleared. */
  always?: FaultStep
  /** Real-clock delay before every answer (0: off). */
  latencyMs?: number
  /** The emulator's clock becomes `Date.now() + clockOffsetMs`: tokens minted from now on start then. */
  clockOffsetMs?: number
  /** Clears the request log, the counters, the faults, the latency and the clock offset. */
  reset?: boolean
}

export type HostRequest =
  | { type: 'counters'; id: number }
  | { type: 'endpoints'; id: number }
  | ({ type: 'control'; id: number } & HostControl)
  | { type: 'close' }
export type HostReply =
  | { type: 'ready'; url: string; wiEnv: Record<string, string> }
  | { type: 'counters'; id: number; counters: EmulatorCounters }
  | { type: 'endpoints'; id: number; endpoints: Record<string, number> }
  | { type: 'control'; id: number }

const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions
let clockOffsetMs = 0
const emulator = await startEmulator({
  port: 0,
  now: () => Date.now() + clockOffsetMs,
  ...(options.tokenLifetimeMs === undefined ? {} : { tokenLifetimeMs: options.tokenLifetimeMs }),
})
let closing = false
const shutdown = async (): Promise<void> => {
  if (closing) return
  closing = true
  await emulator.close()
  if (process.connected) process.disconnect()
}

function control(message: HostControl): void {
  if (message.reset === true) {
    emulator.reset()
    clockOffsetMs = 0
  }
  if (message.clearFaults === true) {
    emulator.faults.clear()
    emulator.faults.latencyMs(0)
  }
  if (message.always !== undefined) emulator.faults.always(message.always)
  if (message.latencyMs !== undefined) emulator.faults.latencyMs(message.latencyMs)
  if (message.clockOffsetMs !== undefined) clockOffsetMs = message.clockOffsetMs
}

process.on('message', (message: HostRequest) => {
  if (message.type === 'counters') {
    process.send?.({ type: 'counters', id: message.id, counters: emulator.counters } satisfies HostReply)
  } else if (message.type === 'endpoints') {
    const endpoints: Record<string, number> = {}
    for (const entry of emulator.requests) endpoints[entry.endpoint] = (endpoints[entry.endpoint] ?? 0) + 1
    process.send?.({ type: 'endpoints', id: message.id, endpoints } satisfies HostReply)
  } else if (message.type === 'control') {
    control(message)
    process.send?.({ type: 'control', id: message.id } satisfies HostReply)
  } else if (message.type === 'close') {
    void shutdown()
  }
})
process.on('disconnect', () => void shutdown())
process.send?.({ type: 'ready', url: emulator.url, wiEnv: emulator.envFor('workload-identity') } satisfies HostReply)
