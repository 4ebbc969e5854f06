import diagnostics from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import { createHttpClient, DIAGNOSTICS_CHANNEL_PREFIX, type KeylessTokenProvider, type ProviderEventName } from '@keyless/core'
import { startEmulator, type Emulator, type FaultStep } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  APP_SERVICE_API_VERSION,
  APP_SERVICE_RETRY_POLICY,
  appService,
  appServiceSource,
  IDENTITY_ENDPOINT,
  IDENTITY_HEADER,
  MSI_ENDPOINT,
  MSI_SECRET,
  type AppServiceOptions,
} from '../src/index.js'
import { DIALECTS, providerFor } from './dialects.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { stubAppServiceEnv } from './env.js'

const VAULT = 'https://vault.azure.net/.default'
// One word each, so even core's `upstreamError` (which keeps a one-word `error` field) would take them.
const HEADER = 'RECOGNISABLE_HEADER_8c1d'
const SECRET = 'RECOGNISABLE_SECRET_4b9e'
const EVENTS: readonly ProviderEventName[] = ['hit', 'miss', 'refresh-start', 'refresh-success', 'refresh-failure', 'retry', 'breaker-open', 'breaker-close', 'evict']

let emulator: Emulator
const output: string[] = []
const channelListener = (message: unknown, name: string | symbol): void => {
  output.push(`${String(name)} ${JSON.stringify(message)} ${inspect(message, { depth: 10 })}`)
}

beforeAll(async () => {
  emulator = await startEmulator({ appServiceHeader: HEADER, legacySecret: SECRET })
  for (const name of EVENTS) diagnostics.subscribe(DIAGNOSTICS_CHANNEL_PREFIX + name, channelListener)
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => output.push(args.map((a) => inspect(a, { depth: 10 })).join(' ')))
  }
})
beforeEach(() => {
  output.length = 0
})
afterEach(() => {
  vi.useRealTimers()
  emulator.reset()
})
afterAll(async () => {
  for (const name of EVENTS) diagnostics.unsubscribe(DIAGNOSTICS_CHANNEL_PREFIX + name, channelListener)
  vi.restoreAllMocks()
  await emulator.close()
})

/** Everything a caller or an operator could print about a value, its `cause` chain included. */
function printed(value: unknown): string {
  const chain: unknown[] = []
  for (let e: unknown = value; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain.map((e) => `${String(e)}\n${JSON.stringify(e)}\n${inspect(e, { depth: 10, showHidden: true })}`).join('\n')
}

/** Listens to every event of `provider`, printing each into `output`. */
function listen(provider: KeylessTokenProvider): KeylessTokenProvider {
  for (const type of EVENTS) provider.on(type, (event) => output.push(JSON.stringify(event), inspect(event, { depth: 10 })))
  return provider
}

/** Prints everything about `provider`: its failure, the breaker's fail-fast error, stats, describe(), itself. */
async function drive(provider: KeylessTokenProvider): Promise<void> {
  output.push(printed(await settle(provider.getToken(VAULT)).catch((e: unknown) => e)))
  output.push(printed(await provider.getToken(VAULT).catch((e: unknown) => e)))
  output.push(JSON.stringify(provider.stats()), inspect(provider.stats(), { depth: 10 }), provider.describe())
  output.push(JSON.stringify(provider), inspect(provider, { depth: 10, showHidden: true }))
  await provider.close()
}

/** Each failure an endpoint can produce, every error body repeating the header it was sent. */
function failures(echo: string): FaultStep[] {
  const body = { error: echo, error_description: echo, message: echo, correlationId: echo }
  return [
    ...[400, 401, 403, 404, 408, 410, 429, 500, 502, 503, 504].map((status): FaultStep => ({ status, retryAfter: '1', body })),
    { kind: 'non-json', body: `{"access_token":"${echo}"` },
    { kind: 'oversized' },
    { kind: 'no-access-token' },
    { kind: 'expires-in-past' },
    { kind: 'reset' },
    { kind: 'hang' },
  ]
}

describe('appService(): the header never shows', () => {
  it.each(DIALECTS)('keeps the $apiVersion header out of errors, events, stats, describe() and the provider on every failure path', async (dialect) => {
    const echo = dialect.endpoint === 'app-service' ? HEADER : SECRET
    useEngineFakeTimers()
    for (const step of failures(echo)) {
      const provider = listen(providerFor(emulator, dialect, { retry: { retries: 1 }, attemptTimeoutMs: 1000 }))
      emulator.faultsFor(dialect.endpoint).enqueue(step, step)
      await drive(provider)
    }
    // The endpoint refusing the identity, then nothing listening at all.
    await drive(listen(providerFor(emulator, dialect, { clientId: '99999999-9999-4999-8999-999999999999' })))
    stubAppServiceEnv(
      dialect.endpoint === 'app-service'
        ? { [IDENTITY_ENDPOINT]: 'http://127.0.0.1:9/msi/token', [IDENTITY_HEADER]: HEADER }
        : { [MSI_ENDPOINT]: 'http://127.0.0.1:9/msi/token', [MSI_SECRET]: SECRET },
    )
    await drive(listen(appService({ retry: { retries: 1 } })))
    expect(emulator.counters.byEndpoint[dialect.endpoint]).toBeGreaterThan(failures(echo).length)

    const all = output.join('\n')
    expect(all).not.toContain(HEADER)
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain('RECOGNISABLE')
    expect(all).not.toContain('eyJ') // no token either (the emulator's tokens are JWTs)
  })

  it('keeps the header out of the successful path and of the printed token and provider', async () => {
    for (const dialect of DIALECTS) {
      const provider = listen(providerFor(emulator, dialect))
      emulator.faultsFor(dialect.endpoint).enqueue({ kind: 'resource-mismatch' })
      const token = await provider.getToken(VAULT)
      await provider.getToken(VAULT)
      output.push(JSON.stringify(token), inspect(token), JSON.stringify(provider.stats()), provider.describe(), inspect(provider, { depth: 10, showHidden: true }))
      await provider.close()
      expect(output.join('\n')).not.toContain(token.token)
    }
    expect(output.join('\n')).not.toContain('RECOGNISABLE')
  })

  it('keeps the header out of config errors and unavailable providers', () => {
    const cases: [Record<string, string>, AppServiceOptions][] = [
      [{ [IDENTITY_ENDPOINT]: 'not a url', [IDENTITY_HEADER]: HEADER }, {}],
      [{ [IDENTITY_ENDPOINT]: 'http://10.1.2.3/msi/token', [IDENTITY_HEADER]: HEADER }, {}],
      [{ [IDENTITY_ENDPOINT]: emulator.appService.endpoint, [IDENTITY_HEADER]: `${HEADER}\r\nX: 1` }, {}],
      [{ [MSI_ENDPOINT]: emulator.legacyAppService.endpoint, [MSI_SECRET]: ` ${SECRET}` }, {}],
      [{ [MSI_ENDPOINT]: emulator.legacyAppService.endpoint, [MSI_SECRET]: SECRET }, { objectId: 'x' }],
      [{ [IDENTITY_HEADER]: HEADER, [MSI_SECRET]: SECRET }, {}],
      [{}, { header: HEADER }],
    ]
    for (const [env, options] of cases) {
      stubAppServiceEnv(env)
      try {
        const provider = appService(options)
        output.push(provider.describe(), JSON.stringify(provider.stats()), inspect(provider, { depth: 10, showHidden: true }))
      } catch (error: unknown) {
        expect(error).toMatchObject({ code: 'config' })
        output.push(printed(error))
      }
    }
    expect(output.join('\n')).not.toContain('RECOGNISABLE')
  })

  it('holds the header in no property of the source', () => {
    const http = createHttpClient({ source: 'app-service', retryableStatuses: APP_SERVICE_RETRY_POLICY.retryableStatuses })
    const source = appServiceSource({ endpoint: new URL(emulator.appService.endpoint), apiVersion: APP_SERVICE_API_VERSION, selector: undefined, header: HEADER, http })
    const shown = `${JSON.stringify(source)} ${inspect(source, { depth: 10, showHidden: true, getters: true })} ${source.describe()} ${source.identity}`
    expect(shown).not.toContain(HEADER)
    expect(Object.values(source)).not.toContain(HEADER)
  })
})
