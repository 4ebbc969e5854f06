import { KeylessError } from '../../src/errors/keyless-error.js'
import type { RetryPolicy, SourceRequest, SourceToken, TokenSource } from '../../src/source/token-source.js'

export const HOUR = 3_600_000

/** One scripted answer: a token lifetime, an error, or a request that never answers. */
export type Step = { lifetimeMs?: number; refreshInMs?: number; latencyMs?: number } | KeylessError | 'hang'

export interface FakeSource extends TokenSource {
  readonly requests: SourceRequest[]
  /** Answers for the next requests, in order; afterwards `fallback` answers. */
  readonly script: Step[]
  fallback: Step
  issued: number
  closed: boolean
}

export const TEST_POLICY: RetryPolicy = {
  retryableStatuses: new Set([404, 408, 410, 429, 500, 503, 504]),
  windowMsByStatus: new Map([[410, 70_000]]),
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
}

export function failure(code: KeylessError['code'], status?: number, retryAfterMs?: number): KeylessError {
  const retryable = code === 'network' || code === 'timeout' || (status !== undefined && TEST_POLICY.retryableStatuses.has(status))
  return new KeylessError(code, `fake: ${code}`, {
    source: 'fake',
    retryable,
    ...(status === undefined ? {} : { status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })
}

/** A source answering from a script, on fake-timer time; tokens are `tok-<n>-<resource>`. */
export function fakeSource(policy: RetryPolicy = TEST_POLICY): FakeSource {
  const source: FakeSource = {
    kind: 'fake',
    identity: 'fake|http://127.0.0.1|system',
    retryPolicy: policy,
    requests: [],
    script: [],
    fallback: { lifetimeMs: 24 * HOUR },
    issued: 0,
    closed: false,
    describe: () => 'fake source at 127.0.0.1',
    fetchToken(request) {
      source.requests.push(request)
      const step = source.script.length > 0 ? (source.script.shift() as Step) : source.fallback
      if (step === 'hang') return new Promise<SourceToken>(() => {})
      if (step instanceof KeylessError) return Promise.reject(step)
      const answer = (): SourceToken => {
        const now = Date.now()
        const n = ++source.issued
        return {
          token: `tok-${n}-${request.resource}`,
          expiresAt: now + (step.lifetimeMs ?? 24 * HOUR),
          ...(step.refreshInMs === undefined ? {} : { refreshAt: now + step.refreshInMs }),
        }
      }
      if (step.latencyMs === undefined) return Promise.resolve(answer())
      return new Promise((resolve) => setTimeout(() => resolve(answer()), step.latencyMs))
    },
    async close() {
      source.closed = true
    },
  }
  return source
}

/** A random source that always answers `value` (0 = no jitter). */
export const fixedRandom = (value: number) => () => value
