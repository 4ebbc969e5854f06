import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { readinessReport } from '../../src/readiness/readiness-report.js'
import { failure, fakeSource } from '../engine/fake-source.js'

const VAULT = 'https://vault.azure.net/.default'
const STORAGE = 'https://storage.azure.com/.default'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('readinessReport()', () => {
  it('is ready when every scope has a usable token, with state and timing and never a token', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const token = await provider.getToken(VAULT)
    await provider.getToken('https://storage.azure.com') // a v1 spelling: the same entry as STORAGE
    const report = readinessReport(provider, [VAULT, STORAGE])
    expect(report).toEqual({
      ready: true,
      source: 'fake',
      scopes: [
        { scope: VAULT, ready: true, state: 'fresh', expiresAt: token.expiresAt, refreshAt: token.refreshAt, lastErrorCode: null },
        { scope: STORAGE, ready: true, state: 'fresh', expiresAt: expect.any(Number), refreshAt: expect.any(Number), lastErrorCode: null },
      ],
    })
    expect(JSON.stringify(report)).not.toContain(token.token)
    await provider.close()
  })

  it('is not ready while a scope has no token, and fetches it in the background unless told not to', async () => {
    const source = fakeSource()
    const provider = createTokenProvider(source)
    const quiet = readinessReport(provider, [VAULT], { fetchMissing: false })
    expect(quiet).toMatchObject({ ready: false, scopes: [{ scope: VAULT, ready: false, state: 'empty', expiresAt: null }] })
    expect(source.requests).toHaveLength(0)
    expect(readinessReport(provider, [VAULT]).ready).toBe(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(source.requests).toHaveLength(1)
    expect(readinessReport(provider, [VAULT]).ready).toBe(true)
    await provider.close()
  })

  it('reports the last error code of a failing scope', async () => {
    const source = fakeSource()
    source.fallback = failure('rejected', 400)
    const provider = createTokenProvider(source)
    await provider.getToken(VAULT).catch(() => undefined)
    expect(readinessReport(provider, [VAULT])).toMatchObject({ ready: false, scopes: [{ state: 'failing', lastErrorCode: 'rejected' }] })
    await provider.close()
  })
})
