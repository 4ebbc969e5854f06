import type { KeylessError } from '../../src/errors/keyless-error.js'
import type { SourceRequest, SourceToken, TokenSource } from '../../src/source/token-source.js'
import { failure, TEST_POLICY } from '../engine/fake-source.js'

/** What one scope's endpoint hands out: a lifetime, and whether it sends `refresh_in` (half of it). */
export interface LifetimeProfile {
  /** Lifetime of the next token, in ms. */
  readonly lifetimeMs: (random: () => number) => number
  /** The least lifetime this profile gives. */
  readonly minLifetimeMs: number
  readonly refreshIn: boolean
}

/** Per-resource counts kept by a soak source. */
export interface ResourceCounts {
  requests: number
  /** Requests answered with an error or too late (after the attempt timeout): injected failures. */
  injectedFailures: number
  minted: number
}

export interface SoakSource extends TokenSource {
  readonly counts: Map<string, ResourceCounts>
  /** Share of requests that fail; the soak sets 0 at the end to check recovery. */
  failureRate: number
}

/** Longest latency of an answer that is not a failure; answers later than the attempt timeout are failures. */
export const MAX_LATENCY_MS = 3000
/** Attempt timeout the soak's providers use (the default). */
const ATTEMPT_TIMEOUT_MS = 5000

/**
 * A source for one identity whose tokens say who they are for: `soak|<identity>|<resource>|<serial>|<expiresAt>`.
 * A share `failureRate` of requests fail at random: 503, 429 with Retry-After, a network error, an
 * answer slower than the attempt timeout, a non-retryable 400, or a bad response.
 */
export function soakSource(
  identity: string,
  profiles: ReadonlyMap<string, LifetimeProfile>,
  random: () => number,
  /** Told of every token answered in time (so the engine takes it), when and with which lifetime. */
  onMint: (resource: string, at: number, lifetimeMs: number) => void = () => {},
): SoakSource {
  let serial = 0
  const countsOf = (resource: string): ResourceCounts => {
    let counts = source.counts.get(resource)
    if (counts === undefined) {
      counts = { requests: 0, injectedFailures: 0, minted: 0 }
      source.counts.set(resource, counts)
    }
    return counts
  }
  const mint = (request: SourceRequest, counts: ResourceCounts, late = false): SourceToken => {
    const profile = profiles.get(request.resource)
    if (profile === undefined) throw new Error(`soak: unexpected resource ${request.resource}`)
    const now = Date.now()
    const lifetime = profile.lifetimeMs(random)
    const expiresAt = now + lifetime
    counts.minted++
    if (!late) onMint(request.resource, now, lifetime)
    return {
      token: `soak|${identity}|${request.resource}|${++serial}|${expiresAt}`,
      expiresAt,
      ...(profile.refreshIn ? { refreshAt: now + Math.round(lifetime / 2) } : {}),
    }
  }
  const later = <T>(ms: number, value: () => T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value()), ms))
  const source: SoakSource = {
    kind: 'soak',
    identity: `soak|http://127.0.0.1|${identity}`,
    retryPolicy: TEST_POLICY,
    counts: new Map(),
    failureRate: 0.2,
    describe: () => `soak source for ${identity}`,
    fetchToken(request) {
      const counts = countsOf(request.resource)
      counts.requests++
      if (random() < source.failureRate) {
        counts.injectedFailures++
        const kind = random()
        let error: KeylessError
        if (kind < 0.35) error = failure('endpoint-unavailable', 503)
        else if (kind < 0.55) error = failure('throttled', 429, Math.round(1000 + random() * 29_000))
        else if (kind < 0.75) error = failure('network')
        else if (kind < 0.85) return later(ATTEMPT_TIMEOUT_MS + 1000 + random() * 4000, () => mint(request, counts, true)) // too late
        else if (kind < 0.95) error = failure('rejected', 400)
        else error = failure('bad-response')
        return new Promise((_, reject) => setTimeout(() => reject(error), random() * 500))
      }
      return later(random() * MAX_LATENCY_MS, () => mint(request, counts))
    },
  }
  return source
}
