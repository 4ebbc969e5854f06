import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KeylessTokenProvider } from '@keyless/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_TOKEN_FILE_BYTES, workloadIdentity, type WorkloadIdentityOptions } from '../src/index.js'
import { changed, CLIENT_ID, fakeEntra, projectedVolume, TENANT_ID, tempDir, VAULT, type FakeEntra, type TempDir } from './fixtures.js'

const FIRST = 'service-account-token-1'
const SECOND = 'service-account-token-2'
const NAME = 'azure-identity-token'

let dir: TempDir
let entra: FakeEntra
const providers: KeylessTokenProvider[] = []

beforeEach(async () => {
  dir = await tempDir()
  entra = fakeEntra()
})
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()))
  await entra.close()
  await dir.remove()
})

function provider(tokenFilePath: string, options: WorkloadIdentityOptions = {}): KeylessTokenProvider {
  const p = workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: entra.agent, forceRefreshIntervalMs: 0, ...options })
  providers.push(p)
  return p
}

const assertions = (): (string | null)[] => entra.requests.map((r) => r.form.get('client_assertion'))

describe('workloadIdentity(): reading the token file', () => {
  it('reads the file only when a request needs it, so it may appear after the provider is made', async () => {
    const path = join(dir.path, NAME)
    const p = provider(path)
    await dir.write(NAME, FIRST)
    await expect(p.getToken(VAULT)).resolves.toMatchObject({ token: 'access-token-1' })
    expect(assertions()).toEqual([FIRST])
  })

  it('fails with federated-token-file, naming the path, and sends nothing when the file is missing', async () => {
    const path = join(dir.path, NAME)
    const error: unknown = await provider(path).getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'federated-token-file', retryable: false, source: 'workload-identity' })
    expect((error as Error).message).toContain(path)
    expect(entra.requests).toHaveLength(0)
  })

  it('fails the same way when the directory is missing', async () => {
    await expect(provider(join(dir.path, 'absent', NAME)).getToken(VAULT)).rejects.toMatchObject({ code: 'federated-token-file' })
    expect(entra.requests).toHaveLength(0)
  })

  it.each([
    ['empty', ''],
    ['only whitespace', ' \n\t\n'],
  ])('fails with federated-token-file and sends nothing when the file is %s', async (_, content) => {
    await expect(provider(await dir.write(NAME, content)).getToken(VAULT)).rejects.toMatchObject({ code: 'federated-token-file', retryable: false })
    expect(entra.requests).toHaveLength(0)
  })

  it('fails with federated-token-file when the path is a directory', async () => {
    await mkdir(join(dir.path, NAME))
    await expect(provider(join(dir.path, NAME)).getToken(VAULT)).rejects.toMatchObject({ code: 'federated-token-file' })
  })

  it('fails with federated-token-file when the file is larger than a token can be', async () => {
    const path = await dir.write(NAME, 'x'.repeat(MAX_TOKEN_FILE_BYTES + 1))
    await expect(provider(path).getToken(VAULT)).rejects.toMatchObject({ code: 'federated-token-file' })
    expect(entra.requests).toHaveLength(0)
  })

  it('reads the file again on the next fetch after a failure', async () => {
    const path = join(dir.path, NAME)
    const p = provider(path, { coolDownMs: 0 })
    await expect(p.getToken(VAULT)).rejects.toMatchObject({ code: 'federated-token-file' })
    await dir.write(NAME, FIRST)
    await expect(p.getToken(VAULT)).resolves.toMatchObject({ token: 'access-token-1' })
    expect(assertions()).toEqual([FIRST])
  })

  it('trims the content and sends it unchanged otherwise', async () => {
    await provider(await dir.write(NAME, `\n  ${FIRST}.with+plus/and=equals  \r\n`)).getToken(VAULT)
    expect(assertions()).toEqual([`${FIRST}.with+plus/and=equals`])
  })
})

describe('workloadIdentity(): token file rotation', () => {
  it('sends the new content after the file is replaced by a rename', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    await changed(dir.path, NAME, () => dir.replace(NAME, SECOND))
    await p.getToken(VAULT, { forceRefresh: true })
    expect(assertions()).toEqual([FIRST, SECOND])
  })

  it('sends the new content after the kubelet swaps the ..data symlink of a projected volume', async () => {
    const volume = await projectedVolume(dir, NAME, FIRST)
    const p = provider(volume.path)
    await p.getToken(VAULT)
    await changed(dir.path, '..data', () => volume.rotate(SECOND))
    await p.getToken(VAULT, { forceRefresh: true })
    await p.getToken('https://storage.azure.com/.default')
    expect(assertions()).toEqual([FIRST, SECOND, SECOND])
  })

  it('sends the new content with a claims challenge after a rotation', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    await changed(dir.path, NAME, () => dir.replace(NAME, SECOND))
    await p.getToken(VAULT, { claims: '{"access_token":{}}' })
    expect(assertions()).toEqual([FIRST, SECOND])
  })

  it('sends the new content after the file is rewritten in place', async () => {
    const path = await dir.write(NAME, FIRST)
    const p = provider(path)
    await p.getToken(VAULT)
    await changed(dir.path, NAME, () => writeFile(path, SECOND))
    await p.getToken(VAULT, { forceRefresh: true })
    expect(assertions()).toEqual([FIRST, SECOND])
  })

  it('fails with federated-token-file once the file is deleted, and keeps serving the cached token', async () => {
    const path = await dir.write(NAME, FIRST)
    const p = provider(path)
    const token = await p.getToken(VAULT)
    await changed(dir.path, NAME, () => rm(path))
    await expect(p.getToken(VAULT, { forceRefresh: true })).rejects.toMatchObject({ code: 'federated-token-file' })
    await expect(p.getToken(VAULT)).resolves.toBe(token)
    expect(assertions()).toEqual([FIRST])
  })
})
