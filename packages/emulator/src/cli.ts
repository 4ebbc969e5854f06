/**
 * Entry point of `keyless-emulator` (`node dist/cli.js`): runs until SIGINT or SIGTERM.
 *
 * @module
 */
import { runCli } from './cli/run-cli.js'

const stop = new AbortController()
const onSignal = (): void => stop.abort()
process.once('SIGINT', onSignal)
process.once('SIGTERM', onSignal)

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: stop.signal,
})
process.off('SIGINT', onSignal)
process.off('SIGTERM', onSignal)
