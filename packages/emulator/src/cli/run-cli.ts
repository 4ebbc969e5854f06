/**
 * The `keyless-emulator` command, as a function of its arguments and output streams.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import type { Emulator } from '../emulator.js'
import { startEmulator } from '../start-emulator.js'
import { EMULATOR_SOURCES } from '../token-endpoint.js'
import type { EmulatorSource } from '../token-endpoint.js'

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
export const CLI_USAGE = `Usage: keyless-emulator [--port N] [--entra-port N] [--lifetime-seconds N] [--limits]

Starts a loopback (127.0.0.1) emulator of the Azure managed-identity token endpoints (IMDS,
App Service 2019-08-01 and 2017-09-01, and an HTTPS Entra authority for Workload Identity) and
prints, per source, the environment that points an app at it. Stops on SIGINT or SIGTERM.

  --port N               TCP port of the HTTP server on 127.0.0.1 (default 0: any free port)
  --entra-port N         TCP port of the HTTPS (Entra) server on 127.0.0.1 (default 0)
  --lifetime-seconds N   lifetime of minted access tokens (default 86400)
  --limits               enforce IMDS limits (20 requests/s, 5 concurrent, 429 beyond)`

/** The comment line that opens each source's section of the output. */
export const CLI_SECTION_TITLES: Readonly<Record<EmulatorSource, string>> = Object.freeze({
  imds: '# IMDS',
  'app-service': '# App Service (2019-08-01)',
  'app-service-2017': '# App Service legacy (2017-09-01)',
  'workload-identity': '# Workload Identity',
})

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
  let entraPort: number | undefined
  let lifetimeSeconds: number | undefined
  let limits: boolean
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'entra-port': { type: 'string' },
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
    entraPort = parseInteger('entra-port', values['entra-port'])
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
      entraPort,
      limits,
      tokenLifetimeMs: lifetimeSeconds === undefined ? undefined : lifetimeSeconds * 1000,
    })
  } catch (error: unknown) {
    io.err(`keyless-emulator: ${error instanceof Error ? error.message : String(error)}`)
    return 2
  }
  printEnvironments(emulator, io.out)

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve()
    else io.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await emulator.close()
  return 0
}

/**
 * Prints one commented section of `export` lines per source, then a summary line. The sources
 * exclude each other (a client detects its source from which variables are set, protocols.md
 * §1.1): an app gets one section, not all of them.
 */
function printEnvironments(emulator: Emulator, out: (line: string) => void): void {
  for (const source of EMULATOR_SOURCES) {
    out(CLI_SECTION_TITLES[source])
    if (source === 'workload-identity') {
      out('# NODE_EXTRA_CA_CERTS is read at Node start only: start the app with it set.')
    }
    for (const [name, value] of Object.entries(emulator.envFor(source))) out(`export ${name}=${shellWord(value)}`)
  }
  out(
    `# keyless emulator: IMDS at ${emulator.imdsEndpoint}, App Service at ${emulator.appService.endpoint}, ` +
      `Entra at ${emulator.entra.authorityHost}, JWKS at ${emulator.jwksUri}. ` +
      'Give an app ONE section: a client detects its source from which variables are set. Ctrl-C to stop',
  )
}

/** `value` as one POSIX shell word: bare when it is plainly safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}
