/**
 * Forks `emulator-host.js` (a `@keyless/emulator` in its own process) and talks to it over IPC.
 *
 * @module
 */
import { childChannel } from './child-channel.js'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EmulatorCounters } from '@keyless/emulator'
import type { HostReply } from './emulator-host.js'

/** A running emulator in a child process. */
export interface EmulatorProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** The emulator's `counters` now. */
  counters(): Promise<EmulatorCounters>
  close(): Promise<void>
}

const HOST = fileURLToPath(new URL('./emulator-host.js', import.meta.url))

/** Starts the emulator process and resolves once it listens on 127.0.0.1. */
export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  // execArgv: [] so the host does not inherit --expose-gc or heap flags meant for the measured process.
  const child: ChildProcess = fork(HOST, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const url = await new Promise<string>((resolve, reject) => {
    const onMessage = (message: HostReply): void => {
      if (message.type !== 'ready') return
      child.off('exit', onExit)
      resolve(message.url)
    }
    const onExit = (code: number | null): void => reject(new Error(`emulator host exited early (code ${code})`))
    child.once('message', onMessage)
    child.once('exit', onExit)
  })
  if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(url)) throw new Error(`emulator url is not loopback: ${url}`)
  const channel = childChannel(child)
  return {
    url,
    counters: async () => (await channel.ask<{ counters: EmulatorCounters }>('counters')).counters,
    close: () => channel.close(),
  }
}
