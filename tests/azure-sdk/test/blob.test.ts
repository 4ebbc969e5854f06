/**
 * The real @azure/storage-blob client on keyless, against the real Azurite with `--oauth basic`:
 * the token the SDK sends is minted by the emulator and acquired through keyless's App Service
 * source.
 *
 * What Azurite checks (reference/azurite.md §2): HTTPS, a bearer JWT with `nbf`/`exp`/`iat`
 * (no clock skew), a v1 issuer (`https://sts.windows.net/...`, by prefix) and an exact storage
 * audience. What it does NOT check: the signature. So these tests prove the SDK plumbing and the
 * claim shape, never that a token is authentic; the emulator's own tests cover signatures.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { BlobServiceClient, BlockBlobClient, RestError, type StoragePipelineOptions } from '@azure/storage-blob'
import { appService } from '@keyless/app-service'
import { toTokenCredential, type KeylessTokenCredential, type TokenProvider } from '@keyless/core'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { auto, SOURCE_VARIABLES } from 'keyless'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startAzurite, type Azurite } from '../src/index.js'

const STORAGE = 'https://storage.azure.com'
const STORAGE_SCOPE = `${STORAGE}/.default` // what BlobServiceClient asks for
const VAULT_SCOPE = 'https://vault.azure.net/.default'
const START_HOOK_MS = 60_000 // Azurite's cold start is about 1 s, several on a busy 2-core runner

let emulator: Emulator | undefined
let azurite: Azurite | undefined
const closers: (() => Promise<void>)[] = []

beforeAll(async () => {
  // Assigned as each one is up, so afterAll stops whichever started even if the other failed.
  await Promise.all([startEmulator().then((e) => (emulator = e)), startAzurite().then((a) => (azurite = a))])
}, START_HOOK_MS)
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
  emulator?.reset()
})
afterAll(async () => {
  await Promise.all([azurite?.stop(), emulator?.close()])
  // Azurite ran with --disableTelemetry under loopback-guard.mjs: it must not have tried to leave loopback.
  if (azurite !== undefined) expect(azurite.refusedHosts).toEqual([])
})

function started(): { emulator: Emulator; azurite: Azurite } {
  if (emulator === undefined || azurite === undefined) throw new Error('beforeAll did not start the emulator and Azurite')
  return { emulator, azurite }
}

/** The options every client here uses: trust Azurite's CA, and no retries (a failure shows at once). */
function clientOptions(): StoragePipelineOptions {
  // `tlsOptions` is not in StoragePipelineOptions' type, hence the cast; storage-blob passes unknown
  // options on to core-rest-pipeline's createClientPipeline, whose tlsPolicy applies it
  // (reference/azurite.md §3). NODE_EXTRA_CA_CERTS is no alternative: Node reads it at start only.
  return { retryOptions: { maxTries: 1 }, tlsOptions: { ca: started().azurite.caPem } } as StoragePipelineOptions
}

/** The App Service source of keyless, pointed at the emulator; closed after the test. */
function appServiceProvider(): ReturnType<typeof appService> {
  const { endpoint, header } = started().emulator.appService
  const provider = appService({ endpoint, header })
  closers.push(() => provider.close())
  return provider
}

/**
 * Create a container, upload random bytes, download them through a second, separately built
 * client (its own pipeline, so its own getToken call), and list the container.
 */
async function roundTrip(credential: KeylessTokenCredential): Promise<{ uploaded: Buffer; downloaded: Buffer; names: string[] }> {
  const service = new BlobServiceClient(started().azurite.accountUrl, credential, clientOptions())
  const container = service.getContainerClient(`keyless-${randomUUID()}`)
  await container.create()
  const uploaded = randomBytes(64 * 1024)
  await container.getBlockBlobClient('payload.bin').upload(uploaded, uploaded.length)
  const downloaded = await new BlockBlobClient(`${container.url}/payload.bin`, credential, clientOptions()).downloadToBuffer()
  const names: string[] = []
  for await (const blob of container.listBlobsFlat()) names.push(blob.name)
  return { uploaded, downloaded, names }
}

/** The `resource` of every token request the emulator received, in order. */
function resourcesRequested(e: Emulator): unknown[] {
  return e.requests.filter((r) => r.token).map((r) => r.query.resource)
}

describe('toTokenCredential(appService()) with BlobServiceClient on Azurite', () => {
  it('creates a container, uploads, downloads and lists a blob on one token from the emulator', async () => {
    const { emulator } = started()
    const provider = appServiceProvider()
    const credential = toTokenCredential(provider)
    const getToken = vi.spyOn(credential, 'getToken')

    const { uploaded, downloaded, names } = await roundTrip(credential)

    expect(downloaded.equals(uploaded)).toBe(true)
    expect(names).toEqual(['payload.bin'])
    // One token minted, for exactly the storage audience Azurite requires.
    expect(emulator.counters.tokensMinted).toBe(1)
    expect(resourcesRequested(emulator)).toEqual([STORAGE])
    expect(emulator.requests[0]).toMatchObject({ endpoint: 'app-service', status: 200 })
    // Two pipelines, so the SDK asked at least twice; keyless answered every call from its cache.
    expect(getToken.mock.calls.length).toBeGreaterThanOrEqual(2)
    for (const [scopes] of getToken.mock.calls) expect(scopes).toEqual([STORAGE_SCOPE])
    const tokens = await Promise.all(getToken.mock.results.map((r) => r.value))
    for (const token of tokens) expect(token).toBe(tokens[0])
    expect(provider.peekToken(STORAGE_SCOPE)?.token).toBe(tokens[0]?.token)
  })

  it('sends a token of the shape Azurite accepts: v1 issuer, exact audience, nbf in the past', async () => {
    const { emulator } = started()
    const credential = toTokenCredential(appServiceProvider())
    const getToken = vi.spyOn(credential, 'getToken')
    await roundTrip(credential)
    const sent = await getToken.mock.results[0]?.value
    // emulator.verify checks the emulator's signature: our check, not Azurite's (Azurite skips it).
    const claims = await emulator.verify(sent?.token ?? '', { audience: STORAGE })
    expect(claims.iss).toBe(`https://sts.windows.net/${emulator.tenantId}/`)
    expect(claims.nbf * 1000).toBeLessThan(Date.now())
  })

  it('is refused with 403 AuthenticationFailed when the token is for another audience', async () => {
    const { emulator, azurite } = started()
    const provider = appServiceProvider()
    // Asks for a Key Vault token whatever scope the SDK asks for.
    const wrongAudience: TokenProvider = { name: provider.name, getToken: (_scope, options) => provider.getToken(VAULT_SCOPE, options) }
    const refused = new BlobServiceClient(azurite.accountUrl, toTokenCredential(wrongAudience), clientOptions())
    const name = `keyless-${randomUUID()}`

    const error: unknown = await refused.getContainerClient(name).create().catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RestError)
    expect(error).toMatchObject({
      statusCode: 403,
      code: 'AuthenticationFailed',
      // Azurite's reason field (reference/azurite.md §5): the audience, not anything else, was refused.
      details: { authenticationErrorDetail: 'Invalid token audience.' },
    })
    expect(resourcesRequested(emulator)).toEqual(['https://vault.azure.net'])
    // The refused call changed nothing: the container does not exist for a correct token either.
    const allowed = new BlobServiceClient(azurite.accountUrl, toTokenCredential(provider), clientOptions())
    expect(await allowed.getContainerClient(name).exists()).toBe(false)
  })
})

describe('what Azurite does not prove', () => {
  it('accepts the same token with its signature replaced: a pass here says nothing about authenticity', async () => {
    const { azurite } = started()
    const provider = appServiceProvider()
    const credential = toTokenCredential(provider)
    const forged: KeylessTokenCredential = {
      async getToken(scopes, options) {
        const real = await credential.getToken(scopes, options)
        const [header, payload] = real.token.split('.')
        return { ...real, token: `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}` }
      },
    }
    const service = new BlobServiceClient(azurite.accountUrl, forged, clientOptions())
    // If a future Azurite checks signatures, this fails: then revisit the README's "not proven" list.
    await expect(service.getContainerClient(`keyless-${randomUUID()}`).create()).resolves.toBeDefined()
  })
})

describe('toTokenCredential(auto()) with BlobServiceClient on Azurite', () => {
  it('chooses App Service from the environment the emulator prints and runs the same round trip', async () => {
    const { emulator } = started()
    for (const name of Object.values(SOURCE_VARIABLES).flat()) vi.stubEnv(name, undefined)
    for (const [name, value] of Object.entries(emulator.envFor('app-service'))) vi.stubEnv(name, value)
    const provider = auto()
    closers.push(() => provider.close())
    expect(provider.source).toBe('app-service')

    const { uploaded, downloaded, names } = await roundTrip(toTokenCredential(provider))

    expect(downloaded.equals(uploaded)).toBe(true)
    expect(names).toEqual(['payload.bin'])
    expect(emulator.counters.tokensMinted).toBe(1)
    expect(emulator.requests.filter((r) => r.token)).toMatchObject([{ endpoint: 'app-service', query: { resource: STORAGE } }])
  })
})
