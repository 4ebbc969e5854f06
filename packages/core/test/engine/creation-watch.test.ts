import { describe, expect, it, vi } from 'vitest'
import { createCreationWatch, CREATION_THRESHOLD, CREATION_WINDOW_MS, PROVIDER_PER_CALL_WARNING } from '../../src/engine/creation-watch.js'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import { fakeSource } from './fake-source.js'

describe('createCreationWatch()', () => {
  it('warns once when providers for one identity are made again and again', () => {
    const warn = vi.fn()
    const watch = createCreationWatch(warn)
    for (let i = 0; i < CREATION_THRESHOLD - 1; i++) watch.record('imds|x|system', i)
    expect(warn).not.toHaveBeenCalled()
    watch.record('imds|x|system', CREATION_THRESHOLD)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/create it once at start-up and share it/)
    for (let i = 0; i < 3 * CREATION_THRESHOLD; i++) watch.record('imds|x|system', 100 + i)
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('does not warn for providers spread out in time or across identities', () => {
    const warn = vi.fn()
    const watch = createCreationWatch(warn)
    for (let i = 0; i < 3 * CREATION_THRESHOLD; i++) watch.record('imds|x|system', i * CREATION_WINDOW_MS)
    for (let i = 0; i < 3 * CREATION_THRESHOLD; i++) watch.record(`imds|x|client_id=${i}`, 0)
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('createTokenProvider(): a provider per call', () => {
  it('emits a process warning naming the cause', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const source = fakeSource()
      const providers = Array.from({ length: CREATION_THRESHOLD }, () => createTokenProvider(source))
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
      expect(warnings).toEqual([
        expect.objectContaining({ name: 'KeylessWarning', code: PROVIDER_PER_CALL_WARNING, message: expect.stringMatching(/one per request sends a token request per request/) }),
      ])
      await Promise.all(providers.map((p) => p.close()))
    } finally {
      process.off('warning', onWarning)
    }
  })
})
