import { describe, expect, it } from 'vitest'
import { createAccessToken } from '../src/access-token.js'
import { cachedTokenOf } from '../src/cached-token-of.js'
import { createTokenProvider } from '../src/engine/create-token-provider.js'
import type { AccessToken, TokenProvider } from '../src/token-provider.js'
import { fakeSource } from './engine/fake-source.js'

const VAULT = 'https://vault.azure.net/.default'
const token = createAccessToken('t', Date.now() + 3_600_000, Date.now() + 1_800_000)

/** A provider of someone else's: getToken always answers `token`; peekToken as given. */
function foreign(peek?: (scope: string) => AccessToken | undefined): TokenProvider & { calls: string[] } {
  const calls: string[] = []
  return {
    name: 'foreign',
    calls,
    getToken: (scope) => {
      calls.push(`get ${scope}`)
      return Promise.resolve(token)
    },
    ...(peek === undefined ? {} : { peekToken: peek }),
  }
}

describe('cachedTokenOf()', () => {
  it("uses a keyless provider's cachedToken: the same promise getToken gives, undefined on a miss", async () => {
    const provider = createTokenProvider(fakeSource())
    expect(cachedTokenOf(provider, VAULT)).toBeUndefined()
    expect(provider.stats().upstreamRequests).toBe(0)
    await provider.getToken(VAULT)
    expect(cachedTokenOf(provider, VAULT)).toBe(provider.getToken(VAULT))
    expect(provider.stats().hits).toBe(2)
    await provider.close()
  })

  it("asks another provider's peekToken, then its getToken only when peekToken has a token", async () => {
    const cold = foreign(() => undefined)
    expect(cachedTokenOf(cold, VAULT)).toBeUndefined()
    expect(cold.calls).toEqual([])
    const warm = foreign(() => token)
    expect(await cachedTokenOf(warm, VAULT)).toBe(token)
    expect(warm.calls).toEqual([`get ${VAULT}`])
  })

  it('gives undefined, asking nothing, when the options rule the cache out (forceRefresh, claims, an aborted signal)', async () => {
    const warm = foreign(() => token)
    for (const options of [{ forceRefresh: true }, { claims: '{}' }, { signal: AbortSignal.abort() }]) {
      expect(cachedTokenOf(warm, VAULT, options)).toBeUndefined()
    }
    expect(warm.calls).toEqual([])
    expect(await cachedTokenOf(warm, VAULT, { signal: new AbortController().signal })).toBe(token)
  })

  it('gives undefined for a provider with neither cachedToken nor peekToken, and never calls it', () => {
    const bare = foreign()
    expect(cachedTokenOf(bare, VAULT)).toBeUndefined()
    expect(bare.calls).toEqual([])
  })
})
