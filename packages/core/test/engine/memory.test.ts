import v8 from 'node:v8'
import { fullGc } from '@keyless/test-support'
import { describe, expect, it } from 'vitest'
import { linkSignals } from '../../src/engine/abortable.js'
import { createTokenProvider } from '../../src/engine/create-token-provider.js'
import type { TokenSource } from '../../src/source/token-source.js'
import { TEST_POLICY } from './fake-source.js'

/** Heap bytes in use after two full GCs. */
function heapAfterGc(): number {
  fullGc()
  fullGc()
  return v8.getHeapStatistics().used_heap_size
}

/** A source that answers at once and keeps nothing, so only the engine's own memory shows. */
function leanSource(): TokenSource {
  let serial = 0
  return {
    kind: 'fake',
    identity: 'fake|http://127.0.0.1|system',
    retryPolicy: TEST_POLICY,
    describe: () => 'fake source at 127.0.0.1',
    fetchToken: async () => ({ token: `tok-${++serial}`, expiresAt: Date.now() + 240_000 }),
    close: async () => {},
  }
}

describe('memory per fetch (real timers; nothing waits on them)', () => {
  it('keeps no memory per upstream fetch: 4000 forced refreshes leave the heap where 2000 did', async () => {
    const provider = createTokenProvider(leanSource(), { forceRefreshIntervalMs: 0 })
    const scopes = Array.from({ length: 8 }, (_, i) => `https://memory-${i}.example.net/.default`)
    const fetches = async (n: number): Promise<void> => {
      await Promise.all(scopes.map(async (scope) => {
        for (let i = 0; i < n / scopes.length; i++) await provider.getToken(scope, { forceRefresh: true })
      }))
    }
    await fetches(2000)
    const before = heapAfterGc()
    await fetches(4000)
    const perFetch = (heapAfterGc() - before) / 4000
    await provider.close()
    // Before linkSignals and clearUnrefTimeout: about 5 KB per fetch (AbortSignal.any composites
    // kept alive, and one Node timer list per jittered refresh delay).
    expect(perFetch).toBeLessThan(100)
  })
})

describe('linkSignals()', () => {
  it('aborts with the reason of the first parent that aborts', () => {
    const a = new AbortController()
    const b = new AbortController()
    const linked = linkSignals([a.signal, b.signal])
    b.abort('b went')
    a.abort('a went later')
    expect(linked.signal.aborted).toBe(true)
    expect(linked.signal.reason).toBe('b went')
  })

  it('starts aborted when a parent already is', () => {
    const a = new AbortController()
    a.abort('early')
    expect(linkSignals([new AbortController().signal, a.signal]).signal.reason).toBe('early')
  })

  it('no longer follows its parents once disposed', () => {
    const a = new AbortController()
    const linked = linkSignals([a.signal])
    linked.dispose()
    a.abort('late')
    expect(linked.signal.aborted).toBe(false)
  })
})
