/**
 * The `keyless-emulator` command, as a function of its arguments and output streams.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import type { Emulator } from '../emulator.js'
import { startEmulator } from '../start-emulator.js'

/** Where the command writes and what stops it. */
export interface CliIo {
  /** Writes one line to stdout. */
  readonly out: (line: string) => void
  /** Writes one line to stderr. */
  readonly err: (line: string) => void
  /** Aborted on SIGINT/SIGTERM: the emulator closes and the command returns. */
  readonly signal: AbortSignal
}

/** Usage text of `keyless-emulator`. */
export const CLI_USAGE = `Usage: keyless-emulator [--port N] [--lifetime-seconds N] [--limits]

Starts a loopback (127.0.0.1) emulator of the Azure IMDS token endpoint and prints the
environment that points an app at it. Stops on SIGINT or SIGTERM.

  --port N               TCP port on 127.0.0.1 (default 0: any free port)
  --lifetime-seconds N   lifetime of minted tokens (default 86400)
  --limits               enforce IMDS limits (20 requests/s, 5 concurrent, 429 beyond)`

function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new TypeError(`--${name} must be a non-negative integer`)
  return Number(value)
}

/**
 * Runs the command until `io.signal` aborts; resolves with the exit code (0, or 2 for bad
 * arguments or a port that cannot be bound).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let port: number | undefined
  let lifetimeSeconds: number | undefined
  let limits: boolean
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'lifetime-seconds': { type: 'string' },
        limits: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    })
    if (values.help === true) {
      io.out(CLI_USAGE)
      return 0
    }
    port = parseInteger('port', values.port)
    lifetimeSeconds = parseInteger('lifetime-seconds', values['lifetime-seconds'])
    limits = values.limits === true
  } catch (error: unknown) {
    io.err(`keyless-emulator: ${error instanceof Error ? error.message : String(error)}`)
    io.err(CLI_USAGE)
    return 2
  }
  if (io.signal.aborted) return 0

  let emulator: Emulator
  try {
    emulator = await startEmulator({
      port,
      limits,
      tokenLifetimeMs: lifetimeSeconds === undefined ? undefined : lifetimeSeconds * 1000,
    })
  } catch (error: unknown) {
    io.err(`keyless-emulator: ${error instanceof Error ? error.message : String(error)}`)
    return 2
  }
  for (const [name, value] of Object.entries(emulator.env)) io.out(`export ${name}=${value}`)
  io.out(`# keyless emulator: IMDS at ${emulator.imdsEndpoint}, JWKS at ${emulator.jwksUri}; Ctrl-C to stop`)

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve()
    else io.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await emulator.close()
  return 0
}
