/**
 * Asking a child process (the emulator host, the HTTP server under load) for something over IPC,
 * and closing it: the protocol both speak is `{ type, id }` out, `{ type, id, ... }` back, and
 * `{ type: 'close' }` to end.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process'

/** The requests and the close of one child. */
export interface ChildChannel {
  /** Sends `{ ...payload, type, id }` and resolves with the reply carrying the same `type` and `id`. */
  ask<Reply>(type: string, payload?: Record<string, unknown>): Promise<Reply>
  /** Sends `{ type: 'close' }` and waits for the child to exit (killed after 5 s). */
  close(): Promise<void>
}

/**
 * Wraps a forked child that answers `{ type, id }` requests.
 *
 * @example
 * ```ts
 * const channel = childChannel(child)
 * const { counters } = await channel.ask<{ counters: EmulatorCounters }>('counters')
 * ```
 */
export function childChannel(child: ChildProcess): ChildChannel {
  let nextId = 0
  const pending = new Map<number, (reply: unknown) => void>()
  child.on('message', (message: { type?: unknown; id?: unknown }) => {
    if (typeof message.id !== 'number') return
    pending.get(message.id)?.(message)
    pending.delete(message.id)
  })
  return {
    ask<Reply>(type: string, payload: Record<string, unknown> = {}): Promise<Reply> {
      const id = nextId++
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve as (reply: unknown) => void)
        child.send({ ...payload, type, id })
      })
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill(), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
