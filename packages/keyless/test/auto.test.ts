import { startEmulator, type Emulator } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { auto } from '../src/index.js'

const STORAGE = 'https://storage.azure.com/.default'
const SOURCE_ENV = [
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_AUTHORITY_HOST',
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
]
const UAMI = {
  clientId: '33333333-3333-4333-8333-333333333333',
  objectId: '44444444-4444-4444-8444-444444444444',
  resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/auto',
}

let emulator: Emulator
const providers: { close(): Promise<void> }[] = []

/** Starts from an environment with no source variable, whatever the machine has, then sets `env`. */
function environment(env: Record<string, string>): void {
  for (const name of SOURCE_ENV) vi.stubEnv(name, undefined)
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
}

function chosen(options: Parameters<typeof auto>[0] = {}) {
  // The Entra emulator's certificate is trusted through `ca`: NODE_EXTRA_CA_CERTS is read at process start only.
  const provider = auto({ ...options, ...(process.env['AZURE_FEDERATED_TOKEN_FILE'] === undefined ? {} : { ca: emulator.entra.caPem }) })
  providers.push(provider)
  return provider
}

beforeAll(async () => {
  emulator = await startEmulator({ userAssigned: [UAMI] })
})
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()))
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

describe('auto()', () => {
  it.each([
    ['workload-identity', 'entra', ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID']],
    ['app-service', 'app-service', ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']],
    ['app-service-2017', 'app-service-2017', ['MSI_ENDPOINT', 'MSI_SECRET']],
    ['imds', 'imds', []],
  ] as const)('chooses %s from its environment and gets a token from its endpoint', async (source, endpoint, because) => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = emulator.envFor(source)
    environment(env)
    const provider = chosen()
    expect(provider.source).toBe(source)
    expect(provider.name).toBe(source === 'app-service-2017' ? 'app-service' : source)
    const token = await provider.getToken(STORAGE)
    expect((await emulator.verify(token.token)).aud).toBe('https://storage.azure.com')
    expect(emulator.counters.byEndpoint[endpoint]).toBe(1)
    const described = provider.describe()
    for (const name of because) expect(described).toContain(name)
    for (const secret of [emulator.appService.header, emulator.legacyAppService.secret]) expect(described).not.toContain(secret)
  })

  it('chooses Workload Identity before App Service, and App Service before the legacy variables', () => {
    const { NODE_EXTRA_CA_CERTS: _, ...wi } = emulator.envFor('workload-identity')
    environment({ ...emulator.envFor('app-service-2017'), ...emulator.envFor('app-service'), ...wi })
    expect(chosen().source).toBe('workload-identity')
    environment({ ...emulator.envFor('app-service-2017'), ...emulator.envFor('app-service') })
    expect(chosen().source).toBe('app-service')
  })

  it.each([
    ['app-service', 'client_id'],
    ['imds', 'client_id'],
  ] as const)('sends AZURE_CLIENT_ID as the user-assigned identity for %s, as DefaultAzureCredential does', async (source, param) => {
    environment({ ...emulator.envFor(source), AZURE_CLIENT_ID: UAMI.clientId })
    const token = await chosen().getToken(STORAGE)
    expect((await emulator.verify(token.token)).appid).toBe(UAMI.clientId)
    expect(emulator.requests.at(-1)?.query[param]).toBe(UAMI.clientId)
  })

  it('sends an explicit clientId over AZURE_CLIENT_ID', async () => {
    environment({ ...emulator.envFor('imds'), AZURE_CLIENT_ID: 'not-this-one' })
    await chosen({ clientId: UAMI.clientId }).getToken(STORAGE)
    expect(emulator.requests.at(-1)?.query['client_id']).toBe(UAMI.clientId)
  })

  it('throws the config error of a present but malformed environment instead of falling through', () => {
    environment({ IDENTITY_ENDPOINT: 'http://10.0.0.5/msi/token', IDENTITY_HEADER: 'h' })
    expect(() => auto()).toThrow(expect.objectContaining({ code: 'config', source: 'app-service' }))
    environment({ ...emulator.envFor('app-service'), IDENTITY_HEADER: '' })
    expect(() => auto()).toThrow(expect.objectContaining({ code: 'config' }))
  })

  it('probes IMDS once when asked and says unavailable when nothing answers', async () => {
    environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' }) // discard port: nothing listens
    const provider = chosen({ probeImds: true })
    await expect(provider.getToken(STORAGE)).rejects.toMatchObject({ code: 'unavailable', source: 'imds' })
    await expect(provider.getToken('https://vault.azure.net/.default')).rejects.toMatchObject({ code: 'unavailable' })
  })

  it('probes IMDS once, then goes straight to it', async () => {
    environment(emulator.envFor('imds'))
    const provider = chosen({ probeImds: true })
    await provider.getToken(STORAGE)
    await provider.getToken('https://vault.azure.net/.default')
    await provider.getToken(STORAGE)
    const probes = emulator.requests.filter((r) => r.status === 400) // the probe sends no Metadata header
    expect(probes).toHaveLength(1)
    expect(emulator.counters.tokensMinted).toBe(2)
  })
})
