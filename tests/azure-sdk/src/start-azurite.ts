/**
 * `startAzurite()`: the real Azurite blob service as a child process on 127.0.0.1, over HTTPS
 * with `--oauth basic`, started the way reference/azurite.md §3 proved.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createLoopbackCertificates } from '@keyless/emulator'

/** How long `startAzurite()` waits for the "successfully listens" line by default. A cold start takes about 1 s. */
export const DEFAULT_START_TIMEOUT_MS = 30_000
/** How long `stop()` waits after SIGTERM before SIGKILL. A clean exit takes about 30 ms. */
export const STOP_GRACE_MS = 5_000
/** Azurite's well-known development account; path-style URLs name it after the port. */
export const AZURITE_ACCOUNT = 'devstoreaccount1'
/** What loopback-guard.mjs writes on the child's stderr, before the host, for each refused connection. */
export const GUARD_REFUSAL_PREFIX = 'keyless-loopback-guard: refused '

const LISTENING = /Azurite Blob service successfully listens on (https:\/\/127\.0\.0\.1:\d+)/
const OUTPUT_TAIL_CHARS = 4_000

const azuriteRoot = dirname(createRequire(import.meta.url).resolve('azurite/package.json'))
/** The blob-only entry point, the package's `azurite-blob` bin. */
const BLOB_MAIN = join(azuriteRoot, 'dist', 'src', 'blob', 'main.js')
/** At the package root, so the path is the same from src/ (vitest) and dist/ (built). */
export const LOOPBACK_GUARD_PATH: string = fileURLToPath(new URL('../loopback-guard.mjs', import.meta.url))

/** Options of {@link startAzurite}. */
export interface StartAzuriteOptions {
  /** Give up (kill the child, remove its directory, reject) after this long. Default {@link DEFAULT_START_TIMEOUT_MS}. */
  startTimeoutMs?: number
}

/** A running Azurite blob service. */
export interface Azurite extends AsyncDisposable {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  /** `url` + `/devstoreaccount1`: the account URL for `BlobServiceClient`. */
  readonly accountUrl: string
  /** The CA that signed Azurite's server certificate: trust it with a client's `ca` option. */
  readonly caPem: string
  /** The child's process id. */
  readonly pid: number
  /** The temp directory holding `cert.pem`, `key.pem` (mode 0600) and `data/`; removed by `stop()`. */
  readonly dir: string
  /** Hosts the loopback guard refused inside Azurite so far; empty unless Azurite tried to leave loopback. */
  readonly refusedHosts: readonly string[]
  /** SIGTERM (SIGKILL after {@link STOP_GRACE_MS}), wait for the exit, remove `dir`. Idempotent. */
  stop(): Promise<void>
}

/** Why `startAzurite()` failed. By the time it rejects, the child has exited and `dir` is removed. */
export class AzuriteStartError extends Error {
  readonly code: 'ERR_AZURITE_START_TIMEOUT' | 'ERR_AZURITE_EXITED'
  /** The child's process id, if it was spawned. */
  readonly pid: number | undefined
  /** The temp directory it was given. */
  readonly dir: string
  constructor(code: AzuriteStartError['code'], message: string, child: { pid: number | undefined; dir: string; cause?: unknown }) {
    super(message, child.cause === undefined ? undefined : { cause: child.cause })
    this.name = 'AzuriteStartError'
    this.code = code
    this.pid = child.pid
    this.dir = child.dir
  }
}

/**
 * Starts Azurite's blob service on 127.0.0.1 on a port the OS picks, with HTTPS (a CA and server
 * certificate made by `createLoopbackCertificates()`, written to a fresh temp directory) and
 * `--oauth basic`. `--skipApiVersionCheck` because @azure/storage-blob 12.32.0 sends an API version
 * Azurite 3.35.0 does not know; `--disableTelemetry` because Azurite otherwise reports to
 * Application Insights (reference/azurite.md §3, §7). The child runs under loopback-guard.mjs with
 * an empty environment (no proxy variables), in its temp directory, and is SIGKILLed if this
 * process exits first.
 *
 * @example
 * ```ts
 * await using azurite = await startAzurite()
 * const credential = toTokenCredential(appService())
 * const options = { tlsOptions: { ca: azurite.caPem } } as StoragePipelineOptions
 * const blobs = new BlobServiceClient(azurite.accountUrl, credential, options)
 * ```
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<Azurite> {
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS
  if (!Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) throw new RangeError('startAzurite: startTimeoutMs must be a positive number')

  const dir = await mkdtemp(join(tmpdir(), 'keyless-azurite-'))
  let child: ChildProcess | undefined
  const killOnExit = (): void => void child?.kill('SIGKILL')
  try {
    const { caPem, certPem, keyPem } = await createLoopbackCertificates()
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    const data = join(dir, 'data')
    await writeFile(cert, certPem, { mode: 0o644, flag: 'wx' })
    await writeFile(key, keyPem, { mode: 0o600, flag: 'wx' })
    await mkdir(data)

    const args = [
      '--import',
      pathToFileURL(LOOPBACK_GUARD_PATH).href,
      BLOB_MAIN,
      ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--oauth', 'basic'],
      ...['--cert', cert, '--key', key],
      ...['--skipApiVersionCheck', '--disableTelemetry', '--silent', '--location', data],
    ]
    const spawned = spawn(process.execPath, args, { cwd: dir, env: {}, stdio: ['ignore', 'pipe', 'pipe'] })
    child = spawned
    process.once('exit', killOnExit)

    const refusedHosts: string[] = []
    let output = ''
    const record = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS)
    }
    spawned.stdout.on('data', record)
    let stderrLine = ''
    spawned.stderr.on('data', (chunk: Buffer) => {
      record(chunk)
      const lines = (stderrLine + chunk.toString('utf8')).split('\n')
      stderrLine = lines.pop() ?? ''
      for (const line of lines) if (line.startsWith(GUARD_REFUSAL_PREFIX)) refusedHosts.push(line.slice(GUARD_REFUSAL_PREFIX.length))
    })

    const url = await listeningUrl(spawned, dir, startTimeoutMs, () => output)
    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        await terminate(spawned)
        process.removeListener('exit', killOnExit)
        await rm(dir, { recursive: true, force: true })
      })())
    return {
      url,
      accountUrl: `${url}/${AZURITE_ACCOUNT}`,
      caPem,
      pid: spawned.pid ?? 0,
      dir,
      refusedHosts,
      stop,
      [Symbol.asyncDispose]: stop,
    }
  } catch (error) {
    if (child !== undefined) await terminate(child)
    process.removeListener('exit', killOnExit)
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/** Resolves with the URL from Azurite's "successfully listens" line; rejects on exit or timeout. */
function listeningUrl(child: ChildProcess, dir: string, timeoutMs: number, output: () => string): Promise<string> {
  const about = { pid: child.pid, dir }
  return new Promise((resolve, reject) => {
    let stdout = ''
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8')
      const url = LISTENING.exec(stdout)?.[1]
      if (url !== undefined) settle(() => resolve(url))
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      settle(() =>
        reject(
          new AzuriteStartError(
            'ERR_AZURITE_EXITED',
            `Azurite exited (${signal ?? `code ${code}`}) before listening; its output:\n${output()}`,
            about,
          ),
        ),
      )
    const onError = (cause: Error): void =>
      settle(() => reject(new AzuriteStartError('ERR_AZURITE_EXITED', `Azurite could not be started (${BLOB_MAIN})`, { ...about, cause })))
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new AzuriteStartError(
              'ERR_AZURITE_START_TIMEOUT',
              `Azurite did not print "successfully listens" within ${timeoutMs} ms; its output so far:\n${output()}`,
              about,
            ),
          ),
        ),
      timeoutMs,
    )
    function settle(finish: () => void): void {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.off('exit', onExit)
      child.off('error', onError)
      finish()
    }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

/** SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}; resolves once the child has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
