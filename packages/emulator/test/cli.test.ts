import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLI_USAGE, runCli } from '../src/cli/run-cli.js'
import { ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST } from '../src/index.js'
import { imdsRequest, rawRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

const EXPORT_LINE = /^export ([A-Z_]+)=(\S+)$/

function exportsOf(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.flatMap((line) => {
    const match = EXPORT_LINE.exec(line)
    return match === null ? [] : [[match[1], match[2]]]
  }))
}

function portOf(url: string | undefined): number {
  return Number(new URL(url ?? 'http://127.0.0.1:0').port)
}

/** Runs the command in-process and resolves once it has printed its human line. */
function startCli(argv: string[]): { lines: string[]; ready: Promise<void>; stop: () => void; done: Promise<number> } {
  const lines: string[] = []
  const controller = new AbortController()
  let printed!: () => void
  const ready = new Promise<void>((resolve) => (printed = resolve))
  const done = runCli(argv, {
    out: (line) => {
      lines.push(line)
      if (line.startsWith('#')) printed()
    },
    err: (line) => lines.push(line),
    signal: controller.signal,
  })
  return { lines, ready, stop: () => controller.abort(), done }
}

describe('runCli()', () => {
  it('prints export lines and a comment, serves tokens, and closes on abort', async () => {
    const cli = startCli(['--port', '0', '--lifetime-seconds', '3600'])
    await cli.ready
    const env = exportsOf(cli.lines)
    expect(Object.keys(env)).toEqual([ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST])
    expect(env[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(cli.lines.filter((line) => !EXPORT_LINE.test(line))).toEqual([expect.stringMatching(/^# keyless emulator: /)])
    const port = portOf(env[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST])
    expect((await imdsRequest(port)).json<ImdsTokenBody>().expires_in).toBe('3600')
    cli.stop()
    expect(await cli.done).toBe(0)
    await expect(imdsRequest(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('switches the IMDS limits on with --limits', async () => {
    const cli = startCli(['--limits'])
    await cli.ready
    const port = portOf(exportsOf(cli.lines)[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST])
    const limits = await rawRequest(port, '/_admin/limits')
    cli.stop()
    await cli.done
    expect(limits.json()).toEqual({ on: true })
  })

  it('leaves the IMDS limits off by default', async () => {
    const cli = startCli([])
    await cli.ready
    const limits = await rawRequest(portOf(exportsOf(cli.lines)[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]), '/_admin/limits')
    cli.stop()
    await cli.done
    expect(limits.json()).toEqual({ on: false })
  })

  it('prints the usage for --help and exits 0', async () => {
    const cli = startCli(['--help'])
    expect(await cli.done).toBe(0)
    expect(cli.lines).toEqual([CLI_USAGE])
  })

  it.each([[['--port', 'abc']], [['--lifetime-seconds', '-5']], [['--nope']], [['extra']]])(
    'exits 2 with the usage for %j',
    async (argv) => {
      const cli = startCli(argv)
      expect(await cli.done).toBe(2)
      expect(cli.lines.at(-1)).toBe(CLI_USAGE)
    },
  )
})

describe('keyless-emulator (dist/cli.js)', () => {
  const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

  it.each([['SIGTERM'], ['SIGINT']] as const)('serves tokens and exits 0 on %s', async (signal) => {
    expect(existsSync(cliPath), 'build the package first (tsc -b)').toBe(true)
    const child = spawn(process.execPath, [cliPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    let stdout = ''
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.includes('\n#')) resolve()
      })
      child.once('exit', () => reject(new Error(`the CLI exited early: ${stdout}`)))
    })
    const port = portOf(exportsOf(stdout.split('\n'))[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST])
    expect((await imdsRequest(port)).status).toBe(200)
    child.kill(signal)
    expect(await exited).toBe(0)
  })
})
