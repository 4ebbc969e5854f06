import type { FSWatcher } from 'node:fs'
import * as fs from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import type { KeylessTokenProvider } from '@keyless/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS, workloadIdentity, type WorkloadIdentityOptions } from '../src/index.js'
import { CLIENT_ID, fakeEntra, TENANT_ID, tempDir, VAULT, type FakeEntra, type TempDir } from './fixtures.js'

// Spies that call through: the tests count reads and watchers, and make `watch` fail on demand.
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>()
  return { ...actual, watch: vi.fn(actual.watch) }
})
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>()
  return { ...actual, open: vi.fn(actual.open) }
})

const watchSpy = vi.mocked(fs.watch)
const openSpy = vi.mocked(fsPromises.open)
const FIRST = 'service-account-token-1'
const SECOND = 'service-account-token-2'
const NAME = 'azure-identity-token'

let dir: TempDir
let entra: FakeEntra
const providers: KeylessTokenProvider[] = []

beforeEach(async () => {
  dir = await tempDir()
  entra = fakeEntra()
  watchSpy.mockClear()
  openSpy.mockClear()
})
afterEach(async () => {
  vi.useRealTimers()
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

function failWatchOnce(): void {
  watchSpy.mockImplementationOnce(() => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
  })
}

describe('workloadIdentity(): token file lifecycle', () => {
  it('opens nothing and watches nothing until a request needs the file', () => {
    provider(`${dir.path}/${NAME}`)
    expect(openSpy).not.toHaveBeenCalled()
    expect(watchSpy).not.toHaveBeenCalled()
  })

  it('reads the file once for many requests and watches its directory with one non-persistent watcher', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    await p.getToken('https://storage.azure.com/.default')
    await p.getToken(VAULT, { forceRefresh: true })
    expect(assertions()).toEqual([FIRST, FIRST, FIRST])
    expect(openSpy).toHaveBeenCalledTimes(1)
    expect(watchSpy).toHaveBeenCalledTimes(1)
    expect(watchSpy.mock.calls[0]?.[0]).toBe(dir.path)
    expect(watchSpy.mock.calls[0]?.[1]).toEqual({ persistent: false })
  })

  it('closes its watcher when the provider closes', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    const watcher = watchSpy.mock.results[0]?.value as FSWatcher
    const closed = new Promise<void>((resolve) => watcher.once('close', () => resolve()))
    await p.close()
    await closed
  })

  it('shares one read between concurrent requests for different scopes', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await Promise.all(['https://a.example/.default', 'https://b.example/.default', 'https://c.example/.default'].map((s) => p.getToken(s)))
    expect(openSpy).toHaveBeenCalledTimes(1)
    expect(assertions()).toEqual([FIRST, FIRST, FIRST])
  })
})

describe('workloadIdentity(): the periodic check', () => {
  it('finds a change the watcher missed once tokenFileCheckIntervalMs has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    failWatchOnce()
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    await dir.replace(NAME, SECOND)
    vi.advanceTimersByTime(DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS - 1)
    await p.getToken(VAULT, { forceRefresh: true })
    vi.advanceTimersByTime(1)
    await p.getToken(VAULT, { forceRefresh: true })
    expect(assertions()).toEqual([FIRST, FIRST, SECOND])
  })

  it('keeps the content while the stat finds the file unchanged, and reads it again only after a change', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    failWatchOnce()
    const p = provider(await dir.write(NAME, FIRST), { tokenFileCheckIntervalMs: 1000 })
    await p.getToken(VAULT)
    vi.advanceTimersByTime(5000)
    await p.getToken(VAULT, { forceRefresh: true })
    expect(openSpy).toHaveBeenCalledTimes(1)
  })

  it('checks before every request with tokenFileCheckIntervalMs: 0', async () => {
    failWatchOnce()
    const p = provider(await dir.write(NAME, FIRST), { tokenFileCheckIntervalMs: 0 })
    await p.getToken(VAULT)
    await dir.replace(NAME, SECOND)
    await p.getToken(VAULT, { forceRefresh: true })
    expect(assertions()).toEqual([FIRST, SECOND])
  })

  it('reads the file again after its watcher fails, and watches again', async () => {
    const p = provider(await dir.write(NAME, FIRST))
    await p.getToken(VAULT)
    const watcher = watchSpy.mock.results[0]?.value as FSWatcher
    watcher.emit('error', Object.assign(new Error('watch failed'), { code: 'EPERM' }))
    await p.getToken(VAULT, { forceRefresh: true })
    expect(openSpy).toHaveBeenCalledTimes(2)
    expect(watchSpy).toHaveBeenCalledTimes(2)
  })
})
