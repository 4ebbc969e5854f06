import { createAccessToken, KeylessError, unavailableProvider, type TokenProvider } from '@keyless/core'
import { describe, expect, it, vi } from 'vitest'
import { chain } from '../src/chain.js'

function member(name: string, answer: 'token' | KeylessError) {
  const token = createAccessToken(`${name}-token`, Date.now() + 3_600_000, Date.now() + 1_800_000)
  return {
    name,
    getToken: vi.fn<TokenProvider['getToken']>(async () => {
      if (answer === 'token') return token
      throw answer
    }),
    peekToken: vi.fn(() => token),
    close: vi.fn(async () => {}),
  }
}

describe('chain()', () => {
  it('moves past unavailable providers and remembers the first that serves', async () => {
    const absent = unavailableProvider('workload-identity', 'AZURE_FEDERATED_TOKEN_FILE is not set')
    const serving = member('imds', 'token')
    const provider = chain(absent, serving)
    expect(provider.name).toBe('chain')
    expect((await provider.getToken('https://vault.azure.net/.default')).token).toBe('imds-token')
    expect(provider.name).toBe('imds')
    const spy = vi.spyOn(absent, 'getToken')
    await provider.getToken('https://vault.azure.net/.default')
    expect(spy).not.toHaveBeenCalled()
    expect(serving.getToken).toHaveBeenCalledTimes(2)
    expect(provider.peekToken('https://vault.azure.net/.default')?.token).toBe('imds-token')
    expect(provider.describe()).toContain('imds')
  })

  it("answers cachedToken from the serving member's, and with undefined before one serves", async () => {
    const serving = { ...member('imds', 'token'), cachedToken: vi.fn(() => Promise.resolve(createAccessToken('hit', Date.now() + 3_600_000, Date.now() + 1_800_000))) }
    const provider = chain(unavailableProvider('app-service', 'IDENTITY_ENDPOINT is not set'), serving)
    expect(provider.cachedToken('https://vault.azure.net/.default')).toBeUndefined()
    expect(serving.cachedToken).not.toHaveBeenCalled()
    await provider.getToken('https://vault.azure.net/.default')
    expect((await provider.cachedToken('https://vault.azure.net/.default'))?.token).toBe('hit')
    const plain = chain(member('plain', 'token')) // a member without cachedToken
    await plain.getToken('https://vault.azure.net/.default')
    expect(plain.cachedToken('https://vault.azure.net/.default')).toBeUndefined()
  })

  it('does not move on for any other error: a real failure of an existing source reaches the caller', async () => {
    const failing = member('app-service', new KeylessError('rejected', 'app-service: 400', { source: 'app-service', status: 400 }))
    const next = member('imds', 'token')
    const provider = chain(failing, next)
    await expect(provider.getToken('https://vault.azure.net/.default')).rejects.toMatchObject({ code: 'rejected', source: 'app-service' })
    expect(next.getToken).not.toHaveBeenCalled()
  })

  it('rejects with unavailable and every reason when no provider is available', async () => {
    const provider = chain(unavailableProvider('workload-identity', 'no token file'), unavailableProvider('app-service', 'no endpoint'))
    const error = await provider.getToken('https://vault.azure.net/.default').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unavailable', source: 'chain' })
    expect((error as { cause: AggregateError }).cause.errors).toHaveLength(2)
  })

  it('closes every member, also with await using', async () => {
    const a = member('a', 'token')
    const b = member('b', 'token')
    {
      await using provider = chain(a, b)
      await provider.getToken('https://vault.azure.net/.default')
    }
    expect(a.close).toHaveBeenCalledTimes(1)
    expect(b.close).toHaveBeenCalledTimes(1)
  })

  it('refuses an empty chain at once', () => {
    expect(() => chain()).toThrow(expect.objectContaining({ code: 'config' }))
  })
})
