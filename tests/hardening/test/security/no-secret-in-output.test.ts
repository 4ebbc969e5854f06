/**
 * Security property: no secret (access token, App Service header, legacy secret, federated
 * assertion) in anything keyless returns, throws, emits, publishes or logs, for every source,
 * auto() and chain(). One generic sweep: drive success, every failure class, abort, close,
 * background refresh, breaker and eviction, record every object that comes out, then search all
 * of their serialisations for the secret values.
 */
import { readFile } from 'node:fs/promises'
import { EMULATOR_SOURCES, type FaultStep } from '@keyless/emulator'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import {
  appService,
  chain,
  imds,
  readinessReport,
  REDACTED,
  toTokenCredential,
  workloadIdentity,
  type AccessToken,
  type KeylessTokenProvider,
  type ProviderEventName,
  type TokenProviderOptions,
} from 'keyless'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { autoSubjects, clearSourceEnv, directSubjects, stubSourceEnv, useSourceEmulator, type Subject } from '../support/emulator-sources.js'
import { createSecretRecorder, type SecretRecorder } from '../support/secret-recorder.js'

const VAULT = 'https://vault.azure.net/.default'
const STORAGE = 'https://storage.azure.com/.default'
const HEADER = 'RECOGNISABLE-HEADER-5d2c91'
const LEGACY_SECRET = 'RECOGNISABLE-SECRET-0b7e44'

const emulator = useSourceEmulator({ appServiceHeader: HEADER, legacySecret: LEGACY_SECRET })

/** The federated assertions (service-account tokens) the emulator wrote, newest last. */
const assertions: string[] = []
const assertion = (): string => assertions.at(-1) ?? ''
let recorder: SecretRecorder
/** Every access token keyless handed out during the run. */
const tokens = new Set<string>()

/** A source, the secret it sends (which a careless endpoint echoes back), and the same source where nothing listens. */
interface SweepSubject extends Subject {
  readonly echo: () => string
  refused(): KeylessTokenProvider
}

const wi = () => emulator().entra
const secretOf: Record<string, () => string> = {
  imds: () => 'eyJhbGciOiJub25lIn0.IMDS-ECHO.c2ln', // IMDS sends no secret: echo a token-like marker
  'app-service': () => HEADER,
  'app-service-2017': () => LEGACY_SECRET,
  'workload-identity': assertion,
}
const refusedOf: Record<string, () => KeylessTokenProvider> = {
  imds: () => imds({ endpoint: 'http://127.0.0.1:9' }),
  'app-service': () => appService({ endpoint: 'http://127.0.0.1:9/msi/token', header: HEADER }),
  'app-service-2017': () => {
    stubSourceEnv({ MSI_ENDPOINT: 'http://127.0.0.1:9/msi/token', MSI_SECRET: LEGACY_SECRET })
    return appService()
  },
  'workload-identity': () =>
    workloadIdentity({ clientId: wi().clientId, tenantId: wi().tenantId, tokenFilePath: wi().tokenFile, authorityHost: 'https://127.0.0.1:9', ca: wi().caPem }),
}
const sweepSubject = (subject: Subject): SweepSubject => ({ ...subject, echo: secretOf[subject.source]!, refused: refusedOf[subject.source]! })

/** Each failure an endpoint can produce; every error body repeats the secret the request carried. */
function failures(echo: string): FaultStep[] {
  const body = { error: echo, error_description: `AADSTS50000: ${echo}`, message: echo, correlation_id: echo, access_token: echo }
  return [
    ...[400, 401, 403, 404, 408, 410, 429, 500, 503, 504].map((status): FaultStep => ({ status, retryAfter: '1', body })),
    { kind: 'non-json', body: `{"access_token":"${echo}"` },
    { kind: 'oversized' },
    { kind: 'no-access-token' },
    { kind: 'expires-in-past' }, // a 200 that carries a real, signed token
    { kind: 'resource-mismatch' },
    { kind: 'reset' },
    { kind: 'hang' },
  ]
}

function keep(token: AccessToken): AccessToken {
  tokens.add(token.token)
  return recorder.record(token)
}

/** Prints everything about a provider a caller or a health endpoint could print. */
function describeAll(provider: KeylessTokenProvider): void {
  recorder.record(provider.stats())
  recorder.record(provider.describe())
  recorder.record(provider)
  recorder.record(readinessReport(provider, [VAULT, STORAGE], { fetchMissing: false }))
}

/** Resolves with the next `type` event of `provider`. */
function next(provider: KeylessTokenProvider, type: ProviderEventName): Promise<unknown> {
  return new Promise((resolve) => {
    const off = provider.on(type, (event) => {
      off()
      resolve(event)
    })
  })
}

async function sweep(subject: SweepSubject): Promise<void> {
  const faults = emulator().faultsFor(subject.endpoint)
  useEngineFakeTimers()

  // Every failure class, each tried twice (one retry), then the breaker's fail-fast answer.
  for (const step of failures(subject.echo())) {
    const provider = recorder.listen(subject.make({ retry: { retries: 1 }, attemptTimeoutMs: 1000 }))
    faults.enqueue(step, step)
    const outcome = await settle(provider.getToken(VAULT)).then(keep, (e: unknown) => recorder.record(e))
    recorder.record(outcome)
    recorder.record(await provider.getToken(VAULT).then(keep, (e: unknown) => e))
    describeAll(provider)
    await provider.close()
    emulator().reset()
  }

  // Nothing listening; an invalid scope; a caller's abort; close() while a request hangs.
  const refused = recorder.listen(subject.refused())
  recorder.record(await settle(refused.getToken(VAULT)).catch((e: unknown) => e))
  recorder.record(await refused.getToken(`${VAULT}\r\nX-Injected: 1`).catch((e: unknown) => e))
  describeAll(refused)
  await refused.close()

  const hanging = recorder.listen(subject.make({ retry: { retries: 0 } }))
  faults.always({ kind: 'hang' })
  const controller = new AbortController()
  const aborted = hanging.getToken(VAULT, { signal: controller.signal }).catch((e: unknown) => e)
  const closed = hanging.getToken(STORAGE).catch((e: unknown) => e)
  await emulator().waitForRequests(2)
  controller.abort()
  recorder.record(await aborted)
  await hanging.close()
  recorder.record(await closed)
  recorder.record(await hanging.getToken(VAULT).catch((e: unknown) => e))
  describeAll(hanging)
  emulator().reset()

  // Success: hit, peek, force, claims, the Azure SDK adapter, a background refresh that fails
  // while the cached token is served, then succeeds; an eviction.
  const provider = recorder.listen(subject.make({ forceRefreshIntervalMs: 0, maxEntries: 1 }))
  const token = keep(await settle(provider.getToken(VAULT)))
  keep(await provider.getToken(VAULT))
  recorder.record(provider.peekToken(VAULT))
  keep(await settle(provider.getToken(VAULT, { forceRefresh: true })))
  keep(await settle(provider.getToken(VAULT, { claims: '{"access_token":{"nbf":{"essential":true}}}' })))
  const credential = recorder.record(await settle(toTokenCredential(provider).getToken(VAULT)))
  tokens.add(credential.token)
  console.log(token)
  console.log('token %o, credential %s', token, credential)
  describeAll(provider)

  const current = provider.peekToken(VAULT) ?? token
  faults.always({ status: 503, body: { error: subject.echo() } })
  const failure = next(provider, 'refresh-failure')
  await vi.advanceTimersByTimeAsync(Math.max(0, current.refreshAt - Date.now()))
  recorder.record(await settle(failure))
  keep(await provider.getToken(VAULT)) // still served from the cache
  describeAll(provider)
  faults.clear()
  if (subject.endpoint === 'entra') {
    // Half a day later the projected service-account token has expired: the kubelet rotates it.
    await emulator().entra.rotateServiceAccountToken()
    assertions.push((await readFile(emulator().entra.tokenFile, 'utf8')).trim())
  }
  const recovered = next(provider, 'refresh-success')
  recorder.record(await settle(recovered, { stepMs: 1000, maxMs: 600_000 }))

  keep(await settle(provider.getToken(STORAGE))) // maxEntries 1: evicts the vault token
  describeAll(provider)
  await provider.close()
  vi.useRealTimers()
  emulator().reset()
}

/** Asserts nothing recorded so far holds a secret, and that the run did produce what it searched. */
function expectNoSecret(expectedEvents: readonly string[]): void {
  const all = recorder.output.join('\n')
  expect(tokens.size).toBeGreaterThan(0)
  for (const token of tokens) expect(all).not.toContain(token)
  expect(all).not.toContain(HEADER)
  expect(all).not.toContain(LEGACY_SECRET)
  expect(all).not.toContain('RECOGNISABLE')
  for (const jwt of assertions) {
    const [, payload = '', signature = ''] = jwt.split('.')
    expect(payload.length).toBeGreaterThan(20)
    expect(all).not.toContain(payload)
    expect(all).not.toContain(signature)
  }
  expect(all).not.toContain('IMDS-ECHO')
  expect(all).not.toContain('eyJ') // no JWT at all: neither an access token nor an assertion
  for (const name of expectedEvents) expect(recorder.seen).toContain(name)
}

beforeAll(async () => {
  assertions.push((await readFile(emulator().entra.tokenFile, 'utf8')).trim())
})
beforeEach(() => {
  recorder = createSecretRecorder()
  tokens.clear()
})
afterEach(() => {
  recorder.stop()
  vi.useRealTimers()
})

const EVERY_EVENT = ['hit', 'miss', 'refresh-start', 'refresh-success', 'refresh-failure', 'retry', 'breaker-open', 'breaker-close', 'evict']

describe('security: no secret in any error, event, log or printout', () => {
  it.each(EMULATOR_SOURCES)('%s: success, every failure class, abort, close, refresh and eviction leak nothing', { timeout: 30_000 }, async (source) => {
    await sweep(sweepSubject(directSubjects(emulator()).find((s) => s.source === source)!))
    expectNoSecret([...EVERY_EVENT, ...EVERY_EVENT.map((name) => `keyless:${name}`)])
    // The secrets did reach the wire, so the sweep could have found them.
    expect(recorder.console.join('\n')).toContain(`token: '${REDACTED}'`)
  })

  it.each(EMULATOR_SOURCES)('auto() → %s: the same sweep through auto()', { timeout: 30_000 }, async (source) => {
    await sweep(sweepSubject(autoSubjects(emulator()).find((s) => s.source === source)!))
    expectNoSecret(['refresh-failure', 'keyless:refresh-success'])
  })

  it('chain(): success, a failure passed through and every member unavailable leak nothing', async () => {
    useEngineFakeTimers()
    stubSourceEnv(emulator().envFor('app-service'))
    const members = () => [recorder.listen(workloadIdentity()), recorder.listen(appService({ retry: { retries: 0 } }))] as const
    const ok = chain(...members())
    keep(await settle(ok.getToken(VAULT)))
    recorder.record(ok.peekToken(VAULT))
    recorder.record(ok.describe())
    recorder.record(ok)
    tokens.add(recorder.record(await settle(toTokenCredential(ok).getToken(VAULT))).token)
    await ok.close()

    emulator().faultsFor('app-service').enqueue({ status: 500, body: { error: HEADER } })
    const failing = chain(...members())
    recorder.record(await settle(failing.getToken(VAULT)).catch((e: unknown) => e))
    recorder.record(failing.describe())
    await failing.close()

    clearSourceEnv()
    vi.stubEnv('IDENTITY_HEADER', HEADER) // half a configuration: App Service stays unavailable
    const none = chain(recorder.listen(workloadIdentity()), recorder.listen(appService()))
    const error = await none.getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unavailable', cause: { errors: [{ code: 'unavailable' }, { code: 'unavailable' }] } })
    recorder.record(error)
    recorder.record(none)
    await none.close()
    expectNoSecret(['miss', 'refresh-failure'])
  })
})
