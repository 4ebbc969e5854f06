import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLI_SECTION_TITLES, CLI_USAGE, runCli } from '../src/cli/run-cli.js'
import {
  ENV_AZURE_AUTHORITY_HOST,
  ENV_AZURE_CLIENT_ID,
  ENV_AZURE_FEDERATED_TOKEN_FILE,
  ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST,
  ENV_AZURE_TENANT_ID,
  ENV_IDENTITY_ENDPOINT,
  ENV_IDENTITY_HEADER,
  ENV_MSI_ENDPOINT,
  ENV_MSI_SECRET,
  ENV_NODE_EXTRA_CA_CERTS,
} from '../src/index.js'
import { imdsRequest, rawRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

const EXPORT_LINE = /^export ([A-Z_]+)=(\S+)$/

function exportsOf(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.flatMap((line) => {
    const match = EXPORT_LINE.exec(line)
    return match === null ? [] : [[match[1], match[2]]]
  }))
}

/** The exported names under each section title, in order. */
function sectionsOf(lines: readonly string[]): Record<string, string[]> {
  const titles = new Set(Object.values(CLI_SECTION_TITLES))
  const sections: Record<string, string[]> = {}
  let current: string[] | undefined
  for (const line of lines) {
    if (titles.has(line)) sections[line] = current = []
    const name = EXPORT_LINE.exec(line)?.[1]
    if (name !== undefined) {
      expect(current, `${name} is printed before any section`).toBeDefined()
      current?.push(name)
    }
  }
  return sections
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
  it('prints a commented section of export lines per source, serves tokens, and closes on abort', async () => {
    const cli = startCli(['--port', '0', '--lifetime-seconds', '3600'])
    await cli.ready
    expect(sectionsOf(cli.lines)).toEqual({
      [CLI_SECTION_TITLES.imds]: [ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST],
      [CLI_SECTION_TITLES['app-service']]: [ENV_IDENTITY_ENDPOINT, ENV_IDENTITY_HEADER],
      [CLI_SECTION_TITLES['app-service-2017']]: [ENV_MSI_ENDPOINT, ENV_MSI_SECRET],
      [CLI_SECTION_TITLES['workload-identity']]: [
        ENV_AZURE_CLIENT_ID,
        ENV_AZURE_TENANT_ID,
        ENV_AZURE_FEDERATED_TOKEN_FILE,
        ENV_AZURE_AUTHORITY_HOST,
        ENV_NODE_EXTRA_CA_CERTS,
      ],
    })
    expect(cli.lines.at(-1)).toMatch(/^# keyless emulator: /)
    const env = exportsOf(cli.lines)
    expect(env[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(env[ENV_AZURE_AUTHORITY_HOST]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const port = portOf(env[ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST])
    expect((await imdsRequest(port)).json<ImdsTokenBody>().expires_in).toBe('3600')
    const appService = new URL(env[ENV_IDENTITY_ENDPOINT] ?? '')
    const res = await rawRequest(port, `${appService.pathname}?api-version=2019-08-01&resource=r`, {
      headers: { 'X-IDENTITY-HEADER': env[ENV_IDENTITY_HEADER] ?? '' },
    })
    expect(res.status).toBe(200)
    const files = [env[ENV_AZURE_FEDERATED_TOKEN_FILE] ?? '', env[ENV_NODE_EXTRA_CA_CERTS] ?? '']
    expect(files.map((file) => existsSync(file))).toEqual([true, true])
    cli.stop()
    expect(await cli.done).toBe(0)
    await expect(imdsRequest(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(files.map((file) => existsSync(file))).toEqual([false, false])
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
