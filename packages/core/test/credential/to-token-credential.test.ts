import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { toTokenCredential } from '../../src/credential/to-token-credential.js'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { fakeSource } from '../engine/fake-source.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('toTokenCredential()', () => {
  it('returns the Azure SDK AccessToken shape for one scope', async () => {
    const provider = createTokenProvider(fakeSource())
    const credential = toTokenCredential(provider)
    const token = await credential.getToken('https://vault.azure.net/.default')
    const own = await provider.getToken('https://vault.azure.net/.default')
    expect(token).toMatchObject({ token: own.token, expiresOnTimestamp: own.expiresAt, refreshAfterTimestamp: own.refreshAt, tokenType: 'Bearer' })
    expect(await credential.getToken(['https://vault.azure.net/.default'])).toBe(token) // same object on a hit
    await provider.close()
  })

  it('refuses anything but exactly one scope', async () => {
    const source = fakeSource()
    const credential = toTokenCredential(createTokenProvider(source))
    await expect(credential.getToken([])).rejects.toMatchObject({ code: 'invalid-scope' })
    await expect(credential.getToken(['https://a/.default', 'https://b/.default'])).rejects.toMatchObject({ code: 'invalid-scope' })
    expect(source.requests).toHaveLength(0)
  })

  it('passes abortSignal (this caller only) and claims through', async () => {
    const source = fakeSource()
    source.script.push({ latencyMs: 100 })
    const provider = createTokenProvider(source)
    const credential = toTokenCredential(provider)
    const controller = new AbortController()
    const aborted = credential.getToken('https://vault.azure.net/.default', { abortSignal: controller.signal })
    const other = credential.getToken('https://vault.azure.net/.default')
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' })
    await vi.advanceTimersByTimeAsync(100)
    await expect(other).resolves.toBeDefined()
    await credential.getToken('https://vault.azure.net/.default', { claims: '{"x":1}' })
    expect(source.requests.at(-1)?.claims).toBe('{"x":1}')
    await provider.close()
  })

  it('keeps the token out of JSON and inspect', async () => {
    const source = fakeSource()
    source.fetchToken = async () => ({ token: 'SECRET-CREDENTIAL-TOKEN', expiresAt: Date.now() + 3_600_000 })
    const credential = toTokenCredential(createTokenProvider(source))
    const token = await credential.getToken('https://vault.azure.net/.default')
    expect(token.token).toBe('SECRET-CREDENTIAL-TOKEN')
    expect(JSON.stringify(token)).not.toContain('SECRET')
    expect(inspect(token)).not.toContain('SECRET')
  })
})

describe('toTokenCredential() with a signal-like object', () => {
  it('follows an AbortSignalLike that is not an AbortSignal', async () => {
    vi.useFakeTimers()
    const source = fakeSource()
    source.script.push({ latencyMs: 100 })
    const provider = createTokenProvider(source)
    const listeners: (() => void)[] = []
    const like = {
      aborted: false,
      addEventListener: (_: 'abort', listener: () => void) => listeners.push(listener),
      removeEventListener: () => {},
    }
    const pending = toTokenCredential(provider).getToken('https://vault.azure.net/.default', { abortSignal: like })
    like.aborted = true
    for (const listener of listeners) listener()
    await expect(pending).rejects.toMatchObject({ code: 'aborted' })
    await provider.close()
  })
})
