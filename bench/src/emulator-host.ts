/**
 * A child process that runs one `@keyless/emulator` on 127.0.0.1, so the server's work (parsing,
 * RS256 signing) does not share the measured process's event loop. Forked by a scenario; speaks
 * over IPC: it sends `{ type: 'ready', url }`, answers `{ type: 'counters', id }` with the
 * emulator's counters, and closes on `{ type: 'close' }` or when its parent goes away.
 *
 * @module
 */
import './loopback-guard.js'
import { startEmulator } from '@keyless/emulator'
import type { EmulatorCounters } from '@keyless/emulator'

export type HostRequest = { type: 'counters'; id: number } | { type: 'close' }
export type HostReply = { type: 'ready'; url: string } | { type: 'counters'; id: number; counters: EmulatorCounters }

const emulator = await startEmulator({ port: 0 })
let closing = false
const shutdown = async (): Promise<void> => {
  if (closing) return
  closing = true
  await emulator.close()
  if (process.connected) process.disconnect()
}

process.on('message', (message: HostRequest) => {
  if (message.type === 'counters') {
    const counters = emulator.counters
    process.send?.({ type: 'counters', id: message.id, counters } satisfies HostReply)
  } else if (message.type === 'close') {
    void shutdown()
  }
})
process.on('disconnect', () => void shutdown())
process.send?.({ type: 'ready', url: emulator.url } satisfies HostReply)
