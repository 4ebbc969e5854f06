import http from 'node:http'
import net from 'node:net'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { auto, chain, createAccessToken } from '../src/index.js'

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

  it("releases a caller whose signal aborts while the probe waits, and lets the probe go on for others (rule 9)", async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => sockets.push(socket)) // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}` })
      const provider = chosen({ probeImds: true, probeTimeoutMs: 60_000 })
      const caller = new AbortController()
      const first = provider.getToken(STORAGE, { signal: caller.signal })
      const other = provider.getToken(STORAGE)
      await vi.waitFor(() => expect(sockets).toHaveLength(1)) // the probe is waiting
      caller.abort()
      await expect(first).rejects.toMatchObject({ code: 'aborted', source: 'imds' })
      for (const socket of sockets) socket.destroy() // the probe now fails: IMDS is absent
      await expect(other).rejects.toMatchObject({ code: 'unavailable' })
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('moves a chain on when the IMDS probe meets Docker Desktop\'s 403 "unreachable" (protocols.md §9.1)', async () => {
    const server = http.createServer((_, res) =>
      res.writeHead(403, { 'content-type': 'text/plain' }).end('dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.'),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` })
      const fallback = { name: 'fallback', getToken: async () => createAccessToken('fallback-token', Date.now() + 3_600_000, Date.now() + 1_800_000) }
      const provider = chain(chosen({ probeImds: true }), fallback)
      await expect(provider.getToken(STORAGE)).resolves.toMatchObject({ token: 'fallback-token' })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('auto() options', () => {
  it.each([
    [{ probeImds: 'no' }, 'probeImds'],
    [{ probeImds: 1 }, 'probeImds'],
    [{ probeImds: null }, 'probeImds'],
    [{ probeImds: true, probeTimeoutMs: -1 }, 'probeTimeoutMs'],
    [{ probeImds: true, probeTimeoutMs: 0 }, 'probeTimeoutMs'],
    [{ probeImds: true, probeTimeoutMs: 'soon' }, 'probeTimeoutMs'],
    [{ probeImds: true, probeTimeoutMs: Number.NaN }, 'probeTimeoutMs'],
    [{ probeImds: true, probeTimeoutMs: Number.POSITIVE_INFINITY }, 'probeTimeoutMs'],
    [{ probeImds: true, probeTimeoutMs: 2 ** 31 }, 'probeTimeoutMs'],
    [{ probeTimeoutMs: -1 }, 'probeTimeoutMs'], // checked even while the probe is off
    [{ clientId: '' }, 'clientId'],
    [{ clientId: 42 }, 'clientId'],
    [{ clientId: 'a b' }, 'clientId'],
    [{ dispatcher: {} }, 'dispatcher'],
    [{ dispatcher: 'agent' }, 'dispatcher'],
    [{ ca: 42 }, 'ca'], // checked even when the source chosen is not Workload Identity
    [{ ca: [] }, 'ca'],
    [{ ca: 'not a certificate' }, 'ca'],
    [{ bogus: 1 }, 'bogus'],
    [{ tenantId: '22222222-2222-2222-2222-222222222222' }, 'tenantId'], // a source's own option: use its factory
    [{ endpoint: 'http://127.0.0.1:9' }, 'endpoint'],
  ])('throws a config error naming the option for %j', (options, name) => {
    environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' }) // never contacted
    expect(() => auto(options as Parameters<typeof auto>[0])).toThrow(
      expect.objectContaining({ code: 'config', source: 'auto', message: expect.stringContaining(name) }),
    )
  })

  it.each([[null], ['imds'], [[]]])('throws a config error when the options are not an object: %j', (options) => {
    expect(() => auto(options as unknown as Parameters<typeof auto>[0])).toThrow(expect.objectContaining({ code: 'config', source: 'auto' }))
  })

  it('throws the chosen source\'s config error for a bad engine option', () => {
    environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' })
    expect(() => auto({ deadlineMs: -1 })).toThrow(expect.objectContaining({ code: 'config', source: 'imds' }))
  })

  it('accepts every documented option, engine options included, and leaves the caller\'s object alone', () => {
    environment({ AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' })
    const options = Object.freeze({
      clientId: UAMI.clientId,
      probeImds: false,
      probeTimeoutMs: 250,
      deadlineMs: 10_000,
      attemptTimeoutMs: 1000,
      retry: { retries: 1 },
      maxEntries: 10,
      ca: undefined,
      dispatcher: undefined,
    })
    expect(chosen(options).source).toBe('imds')
  })
})

describe('auto() with empty variables', () => {
  const WI = { AZURE_CLIENT_ID: UAMI.clientId, AZURE_TENANT_ID: '22222222-2222-4222-8222-222222222222', AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token' }

  it.each(['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID'])(
    'throws a config error naming %s when it is set but empty beside the other Workload Identity variables',
    (name) => {
      environment({ ...WI, [name]: '' })
      expect(() => auto()).toThrow(expect.objectContaining({ code: 'config', source: 'workload-identity', message: expect.stringContaining(name) }))
    },
  )

  it('lets an explicit clientId stand in for an empty AZURE_CLIENT_ID', () => {
    environment({ ...WI, AZURE_CLIENT_ID: '' })
    expect(chosen({ clientId: UAMI.clientId, ca: emulator.entra.caPem }).source).toBe('workload-identity')
  })

  it('treats an empty AZURE_CLIENT_ID as no selector when IMDS is chosen (system-assigned)', async () => {
    environment({ ...emulator.envFor('imds'), AZURE_CLIENT_ID: '' })
    const provider = chosen()
    expect(provider.source).toBe('imds')
    await provider.getToken(STORAGE)
    expect(emulator.requests.at(-1)?.query['client_id']).toBeUndefined()
  })
})
