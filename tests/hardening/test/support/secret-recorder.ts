/**
 * Collects everything keyless lets out of a run: provider events, `node:diagnostics_channel`
 * messages, console output, and whatever the test hands to `record()`, so one sweep can search
 * it all for secret values.
 */
import diagnostics from 'node:diagnostics_channel'
import { format, inspect } from 'node:util'
import { DIAGNOSTICS_CHANNEL_PREFIX, PROVIDER_EVENT_NAMES, type KeylessTokenProvider } from '@keyless/core'
import { vi } from 'vitest'
import { printed } from './printed.js'

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const

export interface SecretRecorder {
  /** Every string recorded so far. */
  readonly output: string[]
  /** Names of the provider events and channel messages seen, to prove the run produced them. */
  readonly seen: Set<string>
  /** What `console.*` printed (also in `output`). */
  readonly console: string[]
  /** Records `printed(value)`. Returns `value`. */
  record<T>(value: T): T
  /** Records every event `provider` emits. Returns `provider`. */
  listen<P extends Pick<KeylessTokenProvider, 'on'>>(provider: P): P
  /** Unsubscribes the channels and restores the console. */
  stop(): void
}

/** Subscribes to every keyless diagnostics channel and captures the console from now on. */
export function createSecretRecorder(): SecretRecorder {
  const output: string[] = []
  const seen = new Set<string>()
  const consoleLines: string[] = []
  const onMessage = (message: unknown, name: string | symbol): void => {
    seen.add(String(name))
    output.push(`${String(name)} ${printed(message)}`)
  }
  for (const name of PROVIDER_EVENT_NAMES) diagnostics.subscribe(DIAGNOSTICS_CHANNEL_PREFIX + name, onMessage)
  const spies = CONSOLE_METHODS.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      // What Node's console would write: util.format applies inspect to objects.
      const line = format(...args)
      consoleLines.push(line)
      output.push(line, args.map((a) => inspect(a, { depth: 10 })).join(' '))
    }),
  )
  return {
    output,
    seen,
    console: consoleLines,
    record(value) {
      output.push(printed(value))
      return value
    },
    listen(provider) {
      for (const type of PROVIDER_EVENT_NAMES) {
        provider.on(type, (event) => {
          seen.add(type)
          output.push(`${type} ${printed(event)}`)
        })
      }
      return provider
    },
    stop() {
      for (const name of PROVIDER_EVENT_NAMES) diagnostics.unsubscribe(DIAGNOSTICS_CHANNEL_PREFIX + name, onMessage)
      for (const spy of spies) spy.mockRestore()
    },
  }
}
