/**
 * The launcher behind `npx -y pnpm@10.34.9 example:express-imds` (and `--filter express-imds
 * start`). It plays Azure for the service and then checks what happened; nothing in it is part of
 * the service:
 *
 * - IMDS is the keyless emulator, in this process on 127.0.0.1 (a free port);
 * - Key Vault is a stand-in HTTP server on 127.0.0.1 (src/launcher/vault-stand-in.ts);
 * - the platform starts `node dist/server.js` with the environment a VM would give it, plus
 *   `AZURE_POD_IDENTITY_AUTHORITY_HOST` pointing `imds()` at the emulator.
 *
 * Then it calls the service with fetch, prints one line per check, stops the service with
 * SIGTERM, closes everything and exits 0, or 1 when a check failed.
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { VAULT_SCOPE } from './app.js'
import { plural, runChecks, startServiceProcess, type Report, type ServiceProcess } from '@keyless/example-launcher'
import { GREETING, startVaultStandIn, type VaultStandIn } from './launcher/vault-stand-in.js'

/** Requests made to `GET /greeting`; all of them must be served by one token. */
const CALLS = 5
/** The `aud` of a vault token: the resource, the scope without `/.default`. */
const VAULT_RESOURCE = VAULT_SCOPE.replace(/\/\.default$/, '')
const SERVER_ENTRY = fileURLToPath(new URL('./server.js', import.meta.url))
const WATCHDOG_MS = 30_000

async function run(report: Report): Promise<void> {
  let emulator: Emulator | undefined
  let vault: VaultStandIn | undefined
  let service: ServiceProcess | undefined
  try {
    emulator = await startEmulator({ port: 0 })
    vault = await startVaultStandIn()
    console.log(`express-imds: IMDS emulator at ${emulator.url}, Key Vault stand-in at ${vault.url}`)

    // What Azure gives the VM, plus the two settings of this service. Nothing else is inherited.
    const env = { ...emulator.envFor('imds'), VAULT_URL: vault.url, HOST: '127.0.0.1', PORT: '0' }
    console.log(`starting node dist/server.js with ${Object.keys(env).join(', ')}`)
    service = await startServiceProcess(SERVER_ENTRY, env)
    const fetchedBeforeListen = emulator.counters.tokenRequests

    // 1. The readiness probe: ready, because warm-up ran before listen.
    const ready = await getJson(`${service.url}/ready`)
    const readyBody = ready.body as { ready?: unknown; scopes?: { state?: unknown }[] }
    report.check(`GET /ready → ${ready.status} (ready: ${String(readyBody.ready)}, vault token ${String(readyBody.scopes?.[0]?.state)})`, [
      ...(ready.status === 200 ? [] : [`expected 200, got ${ready.status}`]),
      ...(readyBody.ready === true ? [] : ['expected { ready: true }']),
    ])

    // 2. The route that calls the vault, a few times.
    const greetings = []
    for (let i = 0; i < CALLS; i++) greetings.push(await getJson(`${service.url}/greeting`))
    const wrong = greetings.filter((g) => g.status !== 200 || (g.body as { greeting?: unknown }).greeting !== GREETING)
    report.check(
      `${CALLS} × GET /greeting → ${[...new Set(greetings.map((g) => g.status))].join(', ')} ${JSON.stringify(greetings[0]?.body)}`,
      wrong.map((g) => `expected 200 { greeting: '${GREETING}' }, got ${g.status} ${JSON.stringify(g.body)}`),
    )

    // 3. What the vault received: a bearer token for the vault, minted by the emulator.
    report.check(
      `the vault stand-in got ${plural(vault.authorizations.length, 'request')}, each with Authorization: Bearer <JWT: aud ${VAULT_RESOURCE}, signed by the emulator>`,
      await bearerProblems(vault.authorizations, emulator),
    )

    // 4. How many times IMDS was asked: once, by warm-up, before the service listened.
    const tokenRequests = emulator.counters.tokenRequests
    const resources = emulator.requests.filter((r) => r.token).map((r) => `${r.endpoint} ${String(r.query['resource'])} → ${r.status}`)
    report.check(`IMDS got ${plural(tokenRequests, 'token request')} for ${CALLS} calls (${resources.join('; ')}): warmUp() fetched it before listen, every call was a cache hit`, [
      ...(tokenRequests === 1 ? [] : [`expected 1 token request, the emulator saw ${tokenRequests}`]),
      ...(fetchedBeforeListen === 1 ? [] : [`expected the token to be fetched before the service listened, ${fetchedBeforeListen} requests by then`]),
      ...(resources[0] === `imds ${VAULT_RESOURCE} → 200` ? [] : [`expected imds ${VAULT_RESOURCE} → 200 first`]),
    ])

    // 5. A clean shutdown: server closed, provider closed, nothing left to keep the process up.
    const exit = await service.stop()
    service = undefined
    report.check(`SIGTERM → the service exited with ${exit}`, exit === 0 ? [] : [`expected exit code 0, got ${exit}`])
  } catch (error) {
    report.abort('the run stopped', error)
  } finally {
    await service?.stop()
    await vault?.close()
    await emulator?.close()
  }
}

/** Problems with the `Authorization` headers the vault received; none when all hold. */
async function bearerProblems(authorizations: readonly (string | undefined)[], emulator: Emulator): Promise<string[]> {
  if (authorizations.length !== CALLS) return [`expected ${CALLS} requests at the vault, got ${authorizations.length}`]
  const tokens = authorizations.map((header) => /^Bearer (\S+)$/.exec(header ?? '')?.[1])
  if (tokens.some((t) => t === undefined)) return ['a request reached the vault without a bearer token']
  const problems: string[] = []
  if (new Set(tokens).size !== 1) problems.push('the calls did not all send the same (cached) token')
  const token = tokens[0] ?? ''
  // The payload is the JWT's middle part, base64url JSON: readable without any key.
  const aud = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: unknown }).aud
  if (aud !== VAULT_RESOURCE) problems.push(`expected aud ${VAULT_RESOURCE}, the token says ${String(aud)}`)
  // And the signature, issuer and lifetime, with the emulator's key (as Key Vault would with Entra's).
  await emulator.verify(token, { audience: VAULT_RESOURCE }).catch((error: unknown) => problems.push(`the token does not verify: ${String(error)}`))
  return problems
}

/** GET `url`; the body parsed as JSON when it is JSON. */
async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url)
  const text = await response.text()
  try {
    return { status: response.status, body: JSON.parse(text) as unknown }
  } catch {
    return { status: response.status, body: text }
  }
}

await runChecks('express-imds', WATCHDOG_MS, run)
