/**
 * The launcher behind `npx -y pnpm@10.34.9 example:azure-sdk-blob` (and `--filter azure-sdk-blob
 * start`). It plays Azure for the service and then checks what happened; nothing in it is part of
 * the service:
 *
 * - the App Service identity endpoint is the keyless emulator, in this process on 127.0.0.1;
 * - Blob Storage is the real Azurite, started by `startAzurite()` from `@keyless/e2e-azure-sdk`
 *   on 127.0.0.1 with HTTPS, `--oauth basic` (it requires a bearer token with the storage
 *   audience) and `--disableTelemetry`;
 * - the platform starts `node dist/server.js` with `emulator.envFor('app-service')`, the account
 *   URL, and `NODE_EXTRA_CA_CERTS` naming Azurite's CA. That is why the service runs as a child
 *   process: Node reads `NODE_EXTRA_CA_CERTS` only when a process starts, and so the service needs
 *   no test-only TLS option (real Azure Storage has a publicly trusted certificate).
 *
 * Then it stores a note through the service and reads it back, prints one line per check, stops
 * the service with SIGTERM, closes everything and exits 0, or 1 when a check failed.
 *
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startAzurite, type Azurite } from '@keyless/e2e-azure-sdk'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { plural, runChecks, startServiceProcess, type Report, type ServiceProcess } from '@keyless/example-launcher'

/** What the note holds; non-ASCII on purpose, so a wrong encoding would show. */
const NOTE = 'hello from keyless: App Service identity → Azure SDK → Azurite'
const NOTE_NAME = 'hello.txt'
/** The audience Azurite requires, and the resource keyless asks the identity endpoint for. */
const STORAGE_RESOURCE = 'https://storage.azure.com'
const SERVER_ENTRY = fileURLToPath(new URL('./server.js', import.meta.url))
/** Azurite's cold start is about 1 s, several on a busy runner. */
const WATCHDOG_MS = 60_000

async function run(report: Report): Promise<void> {
  let emulator: Emulator | undefined
  let azurite: Azurite | undefined
  let caDir: string | undefined
  let service: ServiceProcess | undefined
  try {
    // Both at once; each is assigned as it comes up, so `finally` stops whichever started.
    const [e, a] = await Promise.all([startEmulator({ port: 0 }).then((e) => (emulator = e)), startAzurite().then((a) => (azurite = a))])
    console.log(`azure-sdk-blob: App Service identity endpoint at ${e.appService.endpoint}, Azurite at ${a.url}`)

    caDir = await mkdtemp(join(tmpdir(), 'azure-sdk-blob-'))
    const caFile = join(caDir, 'azurite-ca.pem')
    await writeFile(caFile, a.caPem, { mode: 0o644 })

    // What App Service gives the app, and this service's own settings. Nothing else is inherited.
    const env = { ...e.envFor('app-service'), STORAGE_ACCOUNT_URL: a.accountUrl, NODE_EXTRA_CA_CERTS: caFile, HOST: '127.0.0.1', PORT: '0' }
    console.log(`starting node dist/server.js with ${Object.keys(env).join(', ')}`)
    service = await startServiceProcess(SERVER_ENTRY, env)
    const base = service.url

    // 1. Store a note: the service uploads it as a blob.
    const put = await fetch(`${base}/notes/${NOTE_NAME}`, { method: 'PUT', body: NOTE, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    const putText = await put.text()
    const bytes = Buffer.byteLength(NOTE)
    report.check(`PUT /notes/${NOTE_NAME} → ${put.status} ${putText}`, [
      ...(put.status === 201 ? [] : [`expected 201, got ${put.status}`]),
      ...(putText === JSON.stringify({ name: NOTE_NAME, bytes }) ? [] : [`expected { name: '${NOTE_NAME}', bytes: ${bytes} }`]),
    ])

    // 2. Read it back: the service downloads the blob.
    const got = await fetch(`${base}/notes/${NOTE_NAME}`)
    const gotText = await got.text()
    report.check(`GET /notes/${NOTE_NAME} → ${got.status}, round-tripped: "${gotText}"`, [
      ...(got.status === 200 ? [] : [`expected 200, got ${got.status}`]),
      ...(gotText === NOTE ? [] : [`expected "${NOTE}"`]),
    ])

    // 3. A blob that is not there: Storage's 404 comes through as the service's 404.
    const missing = await fetch(`${base}/notes/missing.txt`)
    await missing.body?.cancel()
    report.check(`GET /notes/missing.txt → ${missing.status}`, missing.status === 404 ? [] : [`expected 404, got ${missing.status}`])

    // 4. Tokens: one, for Storage, for everything the SDK did (create the container, upload,
    //    download, the 404); every later getToken of the SDK was a keyless cache hit.
    const requests = e.requests.filter((r) => r.token).map((r) => `${r.endpoint} ${String(r.query['resource'])} → ${r.status}`)
    const minted = e.counters.tokensMinted
    report.check(`the emulator minted ${plural(minted, 'token')} for the whole run (${requests.join('; ')})`, [
      ...(minted === 1 ? [] : [`expected 1 token, the emulator minted ${minted}`]),
      ...(requests.join() === `app-service ${STORAGE_RESOURCE} → 200` ? [] : [`expected one request: app-service ${STORAGE_RESOURCE} → 200`]),
    ])

    // 5. A clean shutdown: server closed, provider closed, nothing left to keep the process up.
    const exit = await service.stop()
    service = undefined
    report.check(`SIGTERM → the service exited with ${exit}`, exit === 0 ? [] : [`expected exit code 0, got ${exit}`])

    // 6. Azurite ran under a loopback guard: it must not have tried to reach anything else.
    await a.stop()
    report.check(
      `Azurite stopped; it stayed on loopback (${plural(a.refusedHosts.length, 'refused connection')})`,
      a.refusedHosts.length === 0 ? [] : [`Azurite tried to reach ${a.refusedHosts.join(', ')}`],
    )
  } catch (error) {
    report.abort('the run stopped', error)
  } finally {
    await service?.stop()
    await azurite?.stop()
    await emulator?.close()
    if (caDir !== undefined) await rm(caDir, { recursive: true, force: true })
  }
}

await runChecks('azure-sdk-blob', WATCHDOG_MS, run)
