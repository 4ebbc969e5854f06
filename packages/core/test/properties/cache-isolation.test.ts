import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fuzzParameters, fuzzTimeoutMs, seededRandom } from '@keyless/test-support'
import { createTokenProvider, type KeylessTokenProvider } from '../../src/engine/create-token-provider.js'
import { isKeylessError, type KeylessErrorCode } from '../../src/errors/keyless-error.js'
import { scopeToResource } from '../../src/scope/scope.js'
import type { AccessToken } from '../../src/token-provider.js'
import { failure } from '../engine/fake-source.js'
import { tagOf, taggedSource, type TaggedSource } from './tagged-source.js'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const MINUTE = 60_000
const IDENTITIES = ['alice', 'bob', 'carol']
/** Spellings: two per resource for vault, and look-alike resources that must stay apart. */
const SCOPES = [
  'https://vault.azure.net/.default',
  'https://vault.azure.net',
  'https://Vault.azure.net/.default',
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.azure.com/.default',
  'api://4a8b/.default',
]
const EXPECTED_CODES = new Set<KeylessErrorCode>(['endpoint-unavailable', 'throttled', 'network', 'rejected', 'aborted', 'deadline', 'timeout'])

/** The system under test: a few providers sharing the process, and what they handed out. */
interface Real {
  readonly sources: TaggedSource[]
  readonly providers: KeylessTokenProvider[]
  readonly pending: Promise<void>[]
  readonly violations: string[]
  served: number
}
type Model = Record<string, never>

/** Every token handed out must be for the asking provider's identity and the scope's resource, and usable now. */
function checkToken(real: Real, p: number, scope: string, token: AccessToken, how: string, claims?: { value: string; after: number }): void {
  const tag = tagOf(token.token)
  if (tag.identity !== IDENTITIES[p] || tag.resource !== scopeToResource(scope)) {
    real.violations.push(`${how}: ${IDENTITIES[p]} asked ${scope} and got ${tag.identity} ${tag.resource}`)
  }
  if (!(Date.now() < token.expiresAt)) real.violations.push(`${how}: expired token`)
  // A claims challenge bypasses the cache: its answer is minted for it, after the call.
  if (claims !== undefined && (tag.claims !== claims.value || tag.serial <= claims.after)) {
    real.violations.push(`${how}: claims ${claims.value} answered with ${tag.claims} #${tag.serial} (minted before ${claims.after})`)
  }
  real.served++
}

class Call implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: number,
    readonly scope: string,
    readonly mode: 'plain' | 'force' | 'claims' | 'abort',
    readonly claims: string,
  ) {}
  check = () => true
  async run(_: Model, real: Real): Promise<void> {
    const { p, scope, mode } = this
    const provider = real.providers[p] as KeylessTokenProvider
    const claims = mode === 'claims' ? { value: this.claims, after: (real.sources[p] as TaggedSource).lastSerial() } : undefined
    const controller = new AbortController()
    const call =
      mode === 'force' ? provider.getToken(scope, { forceRefresh: true })
      : mode === 'claims' ? provider.getToken(scope, { claims: this.claims })
      : mode === 'abort' ? provider.getToken(scope, { signal: controller.signal })
      : provider.getToken(scope)
    if (mode === 'abort') setTimeout(() => controller.abort(), 500)
    real.pending.push(
      call.then(
        (token) => checkToken(real, p, scope, token, mode, claims),
        (error: unknown) => {
          if (!isKeylessError(error) || !EXPECTED_CODES.has(error.code)) real.violations.push(`${mode} ${scope}: ${String(error)}`)
        },
      ),
    )
  }
  toString = () => `${this.mode}(${IDENTITIES[this.p]}, ${this.scope}${this.mode === 'claims' ? `, ${this.claims}` : ''})`
}

class Peek implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: number,
    readonly scope: string,
  ) {}
  check = () => true
  async run(_: Model, real: Real): Promise<void> {
    const token = real.providers[this.p]?.peekToken(this.scope)
    if (token !== undefined) checkToken(real, this.p, this.scope, token, 'peek')
  }
  toString = () => `peek(${IDENTITIES[this.p]}, ${this.scope})`
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  async run(): Promise<void> {
    await vi.advanceTimersByTimeAsync(this.ms)
  }
  toString = () => `advance(${this.ms})`
}

class Fail implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: number,
    readonly count: number,
    readonly kind: 'network' | 'throttled' | 'rejected',
  ) {}
  check = () => true
  async run(_: Model, real: Real): Promise<void> {
    const error = this.kind === 'throttled' ? failure('throttled', 429, 2000) : this.kind === 'rejected' ? failure('rejected', 400) : failure('network')
    for (let i = 0; i < this.count; i++) real.sources[this.p]?.failures.push(error)
  }
  toString = () => `fail(${IDENTITIES[this.p]}, ${this.count} × ${this.kind})`
}

class Tune implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: number,
    readonly latencyMs: number,
    readonly lifetimeMs: number,
  ) {}
  check = () => true
  async run(_: Model, real: Real): Promise<void> {
    const source = real.sources[this.p] as TaggedSource
    source.latencyMs = this.latencyMs
    source.lifetimeMs = this.lifetimeMs
  }
  toString = () => `tune(${IDENTITIES[this.p]}, latency ${this.latencyMs}, lifetime ${this.lifetimeMs})`
}

const provider = fc.nat({ max: IDENTITIES.length - 1 })
const scope = fc.constantFrom(...SCOPES)
const call = fc
  .tuple(provider, scope, fc.constantFrom('plain', 'plain', 'plain', 'force', 'claims', 'abort'), fc.constantFrom('{"a":1}', '{"b":2}'))
  .map(([p, s, m, c]) => new Call(p, s, m as Call['mode'], c))
const commands = fc.commands(
  [
    call,
    call, // twice: calls are what the property is about
    fc.tuple(provider, scope).map(([p, s]) => new Peek(p, s)),
    fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: MINUTE, max: 2 * 60 * MINUTE })).map((ms) => new Advance(ms)),
    fc.tuple(provider, fc.integer({ min: 1, max: 6 }), fc.constantFrom('network', 'throttled', 'rejected')).map(([p, n, k]) => new Fail(p, n, k as Fail['kind'])),
    fc.tuple(provider, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 5 * MINUTE, max: 24 * 60 * MINUTE })).map(([p, l, t]) => new Tune(p, l, t)),
  ],
  { maxCommands: 60, size: 'max' },
)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('property: cache isolation', () => {
  it('a token obtained for one identity or scope is never returned for another, whatever the interleaving', async () => {
    let served = 0
    let commandCount = 0
    await fc.assert(
      fc.asyncProperty(commands, fc.integer({ min: 1, max: 3 }), fc.integer(), async (cmds, maxEntries, seed) => {
        commandCount += [...cmds].length
        const sources = IDENTITIES.map((identity) => taggedSource(identity))
        const providers = sources.map((source, i) => createTokenProvider(source, { maxEntries, random: seededRandom(seed + i) }))
        const real: Real = { sources, providers, pending: [], violations: [], served: 0 }
        try {
          await fc.asyncModelRun(() => ({ model: {}, real }), cmds)
          // Let every call settle: retries, cool-downs and latencies all end within ten minutes.
          await vi.advanceTimersByTimeAsync(10 * MINUTE)
          await Promise.all(real.pending)
          expect(real.violations).toEqual([])
          served += real.served
        } finally {
          await Promise.all(providers.map((p) => p.close()))
          vi.clearAllTimers()
        }
      }),
      fuzzParameters(1000),
    )
    console.log(`cache isolation: ${served} tokens checked, ${commandCount} commands`)
    expect(served).toBeGreaterThan(1000) // the interleavings really hand out tokens
  })
})
