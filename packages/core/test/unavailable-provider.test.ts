import { describe, expect, it } from 'vitest'
import { unavailableProvider } from '../src/unavailable-provider.js'

describe('unavailableProvider()', () => {
  it('rejects every call with unavailable and says why, with no I/O', async () => {
    const provider = unavailableProvider('app-service', 'IDENTITY_ENDPOINT is not set')
    await expect(provider.getToken('https://vault.azure.net/.default')).rejects.toMatchObject({
      code: 'unavailable',
      source: 'app-service',
      retryable: false,
    })
    expect(provider.peekToken('https://vault.azure.net/.default')).toBeUndefined()
    expect(provider.describe()).toContain('IDENTITY_ENDPOINT is not set')
    expect(provider.stats().upstreamRequests).toBe(0)
    await provider.close()
  })
})
