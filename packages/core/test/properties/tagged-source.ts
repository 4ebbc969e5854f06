import type { KeylessError } from '../../src/errors/keyless-error.js'
import type { SourceToken, TokenSource } from '../../src/source/token-source.js'
import { TEST_POLICY } from '../engine/fake-source.js'

/** What a tagged token says about itself: whose it is, for which resource and claims, and its serial. */
export interface TokenTag {
  readonly identity: string
  readonly resource: string
  readonly claims: string | null
  readonly serial: number
}

export interface TaggedSource extends TokenSource {
  /** Errors for the next requests, in order. */
  readonly failures: KeylessError[]
  latencyMs: number
  lifetimeMs: number
  /** Serial of the last token minted, by any tagged source. */
  readonly lastSerial: () => number
}

let serial = 0

/** A source whose tokens encode (identity, resource, claims, serial), so any mix-up is visible. */
export function taggedSource(identity: string): TaggedSource {
  const source: TaggedSource = {
    kind: 'tagged',
    identity: `tagged|http://127.0.0.1|${identity}`,
    retryPolicy: TEST_POLICY,
    failures: [],
    latencyMs: 0,
    lifetimeMs: 3_600_000,
    lastSerial: () => serial,
    describe: () => `tagged source for ${identity}`,
    fetchToken(request) {
      const failure = source.failures.shift()
      const latency = source.latencyMs
      return new Promise<SourceToken>((resolve, reject) => {
        setTimeout(() => {
          if (failure !== undefined) return reject(failure)
          const tag: TokenTag = { identity, resource: request.resource, claims: request.claims ?? null, serial: ++serial }
          resolve({ token: JSON.stringify(tag), expiresAt: Date.now() + source.lifetimeMs })
        }, latency)
      })
    },
  }
  return source
}

/** Reads a token's tag back. */
export function tagOf(token: string): TokenTag {
  return JSON.parse(token) as TokenTag
}
