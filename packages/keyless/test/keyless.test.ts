import { startEmulator } from '@keyless/emulator'
import { describe, expect, it } from 'vitest'
import * as keyless from '../src/index.js'

describe('keyless', () => {
  it('exports the engine, the errors, the adapter and the IMDS source from one place', () => {
    for (const name of ['imds', 'createTokenProvider', 'toTokenCredential', 'isKeylessError', 'KeylessError', 'IMDS_DEFAULT_ENDPOINT']) {
      expect(keyless).toHaveProperty(name)
    }
  })

  it('runs the README example against the emulator', async () => {
    await using emulator = await startEmulator()
    await using provider = keyless.imds({ endpoint: emulator.url })
    const credential = keyless.toTokenCredential(provider)
    const azure = await credential.getToken('https://storage.azure.com/.default')
    const { token } = await provider.getToken('https://storage.azure.com/.default')
    expect(azure.token).toBe(token)
    expect((await emulator.verify(token)).aud).toBe('https://storage.azure.com')
    expect(emulator.counters.tokenRequests).toBe(1)
  })
})
