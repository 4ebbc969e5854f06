/**
 * The launcher behind `npx -y pnpm@10.34.9 example:fastify-workload-identity` (and `--filter
 * fastify-workload-identity start`). It plays AKS and Entra ID for the service and then checks what
 * happened; nothing in it is part of the service:
 *
 * - Entra ID is the keyless emulator's HTTPS authority, in this process on 127.0.0.1 (free ports),
 *   with a CA made at start; the emulator also writes the projected service-account token file,
 *   as the kubelet does, and rotates it on request;
 * - the platform starts `node dist/server.js` with `emulator.envFor('workload-identity')`: the four
 *   variables the AKS webhook injects, plus `NODE_EXTRA_CA_CERTS` so that the child trusts the
 *   emulator's CA. That is why the service runs as a child process: Node reads
 *   `NODE_EXTRA_CA_CERTS` only when a process starts, and so the service needs no test-only code.
 *
 * Then it calls the service with fetch, rotates the service-account token, forces a refresh,
 * prints one line per check, stops the service with SIGTERM, closes everything and exits 0, or 1
 * when a check failed.
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { READINESS_URL, VAULT_SCOPE, type TokenInfo } from './app.js'
import { plural, runChecks, startServiceProcess, type Report, type ServiceProcess } from '@keyless/example-launcher'

const SERVER_ENTRY = fileURLToPath(new URL('./server.js', import.meta.url))
const WATCHDOG_MS = 30_000
const TOKEN_INFO_KEYS = ['expiresAt', 'refreshAt', 'scope', 'source']

async function run(report: Report): Promise<void> {
  let emulator: Emulator | undefined
  let service: ServiceProcess | undefined
  try {
    emulator = await startEmulator({ port: 0 })
    const e = emulator
    console.log(`fastify-workload-identity: Entra ID emulator at ${e.entra.authorityHost} (HTTPS, CA in ${e.entra.caFile})`)

    // What the AKS webhook gives the pod, NODE_EXTRA_CA_CERTS, and this service's own settings.
    // LOG_LEVEL=warn keeps Fastify's JSON request logs out of the report; warnings still show.
    const env = { ...e.envFor('workload-identity'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' }
    console.log(`starting node dist/server.js with ${Object.keys(env).join(', ')}`)
    service = await startServiceProcess(SERVER_ENTRY, env)
    const base = service.url
    /** Token exchanges Entra ID answered so far, as `status` values. */
    const exchanges = (): number[] => e.requests.filter((r) => r.endpoint === 'entra' && r.token).map((r) => r.status)

    // 1. Ready: the plugin warmed the vault token in onReady, before listen() resolved.
    await checkReadiness(report, base)

    // 2. Token metadata, from the cache.
    const first = await getJson(`${base}/token`)
    const firstInfo = first.body as TokenInfo
    report.check(`GET /token → ${first.status} ${describeInfo(firstInfo)}; ${plural(exchanges().length, 'exchange')} at Entra ID so far`, [
      ...infoProblems(first),
      ...(exchanges().join() === '200' ? [] : [`expected 1 exchange (the warm-up) answered 200, got [${exchanges().join(', ')}]`]),
    ])

    // 3. The kubelet rotates the projected token; from now on Entra ID refuses the old one.
    await e.entra.rotateServiceAccountToken()
    console.log('rotated the service-account token file (as the kubelet does): Entra ID now accepts only the new one')

    // 4. The cached access token is still good: served without a new exchange.
    const cached = await getJson(`${base}/token`)
    const cachedInfo = cached.body as TokenInfo
    report.check(`GET /token → ${cached.status}, the same token from the cache (expiresAt unchanged), no new exchange`, [
      ...infoProblems(cached),
      ...(cachedInfo.expiresAt === firstInfo.expiresAt ? [] : ['expiresAt changed: the token was not served from the cache']),
      ...(exchanges().length === 1 ? [] : [`expected no new exchange, Entra ID saw ${exchanges().length}`]),
    ])

    // 5. A forced refresh: a new exchange, which only works with the re-read (rotated) file.
    const refreshed = await getJson(`${base}/token/refresh`, { method: 'POST' })
    const refreshedInfo = refreshed.body as TokenInfo
    report.check(
      `POST /token/refresh → ${refreshed.status} ${describeInfo(refreshedInfo)}: a new exchange with the rotated service-account token, answered ${exchanges().at(-1)}`,
      [
        ...infoProblems(refreshed),
        ...(exchanges().join() === '200,200' ? [] : [`expected 2 exchanges answered 200, got [${exchanges().join(', ')}]`]),
        ...(refreshedInfo.expiresAt >= firstInfo.expiresAt ? [] : ['the refreshed token expires before the first one']),
      ],
    )

    // 6. Still ready after all that.
    await checkReadiness(report, base)

    // 7. A clean shutdown: app.close() closes the provider the plugin owns; nothing is left running.
    const exit = await service.stop()
    service = undefined
    report.check(`SIGTERM → the service exited with ${exit}`, exit === 0 ? [] : [`expected exit code 0, got ${exit}`])
  } catch (error) {
    report.abort('the run stopped', error)
  } finally {
    await service?.stop()
    await emulator?.close()
  }
}

async function checkReadiness(report: Report, base: string): Promise<void> {
  const ready = await getJson(`${base}${READINESS_URL}`)
  const body = ready.body as { ready?: unknown; scopes?: { state?: unknown }[] }
  report.check(`GET ${READINESS_URL} → ${ready.status} (ready: ${String(body.ready)}, vault token ${String(body.scopes?.[0]?.state)})`, [
    ...(ready.status === 200 ? [] : [`expected 200, got ${ready.status}`]),
    ...(body.ready === true ? [] : ['expected { ready: true }']),
  ])
}

/** Problems with an answer of `/token` or `/token/refresh`: status, shape, and no token in it. */
function infoProblems(answer: { status: number; body: unknown; text: string }): string[] {
  const problems: string[] = []
  if (answer.status !== 200) problems.push(`expected 200, got ${answer.status} ${answer.text}`)
  const info = answer.body as Partial<TokenInfo>
  if (typeof info !== 'object' || info === null) return [...problems, 'expected a JSON object']
  if (Object.keys(info).sort().join() !== TOKEN_INFO_KEYS.join()) problems.push(`expected exactly ${TOKEN_INFO_KEYS.join(', ')}`)
  if (info.source !== 'workload-identity' || info.scope !== VAULT_SCOPE) problems.push('expected source workload-identity and the vault scope')
  if (typeof info.expiresAt !== 'number' || info.expiresAt <= Date.now()) problems.push('expected an expiresAt in the future')
  if (/eyJ[\w-]+\.[\w-]+\./.test(answer.text)) problems.push('the answer holds a JWT: a token must never leave the service')
  return problems
}

function describeInfo(info: TokenInfo): string {
  const hours = ((info.expiresAt - Date.now()) / 3_600_000).toFixed(1)
  return `{ source: ${info.source}, expiresAt: ${new Date(info.expiresAt).toISOString()} (in ${hours} h) }`
}

/** A request to the service; the body parsed as JSON when it is JSON, and the raw text. */
async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url, init)
  const text = await response.text()
  try {
    return { status: response.status, body: JSON.parse(text) as unknown, text }
  } catch {
    return { status: response.status, body: text, text }
  }
}

await runChecks('fastify-workload-identity', WATCHDOG_MS, run)
