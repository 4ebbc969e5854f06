/**
 * The three things the hot path compares: keyless, `@azure/identity`, and the floor; and the
 * keyless provider and `@azure/identity` credential the HTTP servers of the overhead scenario use.
 *
 * @module
 */
import type { TokenCredential } from '@azure/identity'
import type { KeylessTokenProvider, TokenProviderOptions } from '@keyless/core'
import type { Get } from './measure.js'
import { BENCH_SEED, mulberry32 } from './prng.js'

export type SubjectName = 'baseline' | 'floor' | 'keyless' | 'azure'

/** The scope every hot-path subject is asked for. */
export const HOT_SCOPE = 'https://vault.azure.net/.default'

/** A subject ready for `get`: its first token is fetched already (one upstream request, or none). */
export interface Subject {
  readonly get: Get
  close(): Promise<void>
}

/**
 * The floor: the least a cached lookup can cost as an async function: one Map lookup and one
 * `Date.now()` compare, returning (a promise of) the cached token. `scopes` are the cached keys.
 */
export function floorSubject(scopes: readonly string[] = [HOT_SCOPE]): Subject {
  const cache = new Map<string, { token: string; expiresOnTimestamp: number }>()
  const expiresOnTimestamp = Date.now() + 3_600_000
  for (const scope of scopes) cache.set(scope, { token: `floor-token-${cache.size}`, expiresOnTimestamp })
  const get = async (scope: string): Promise<unknown> => {
    const entry = cache.get(scope)
    if (entry !== undefined && Date.now() < entry.expiresOnTimestamp) return entry
    throw new Error('floor: no cached token')
  }
  return { get, close: async () => {} }
}

/**
 * Not a contender: a function returning one promise made earlier, so the loop measures only its
 * own `await`. Shows how much of every row is the harness (informational, no target).
 */
export function baselineSubject(): Subject {
  const ready = Promise.resolve({ token: 'baseline-token', expiresOnTimestamp: Date.now() + 3_600_000 })
  return { get: (_scope: string) => ready, close: async () => {} }
}

/**
 * keyless `imds({ endpoint })` against the emulator, with a seeded random: the provider itself.
 * `options` are engine options a scenario states (for example `maxEntries`); none by default.
 */
export async function keylessProvider(url: string, options: Omit<TokenProviderOptions, 'random'> = {}): Promise<KeylessTokenProvider> {
  const { imds } = await import('@keyless/imds')
  return imds({ ...options, endpoint: url, random: mulberry32(BENCH_SEED) })
}

/** {@link keylessProvider} as a subject. */
export async function keylessSubject(
  url: string,
  options: Omit<TokenProviderOptions, 'random'> = {},
): Promise<Subject & { stats(): { hits: number; misses: number; upstreamRequests: number } }> {
  const provider = await keylessProvider(url, options)
  return { get: (scope) => provider.getToken(scope), stats: () => provider.stats(), close: () => provider.close() }
}

/**
 * `@azure/identity`'s `ManagedIdentityCredential`, pointed at the emulator by
 * `AZURE_POD_IDENTITY_AUTHORITY_HOST` (set before the module is imported).
 */
export async function azureCredential(url: string): Promise<TokenCredential> {
  process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = url
  const { ManagedIdentityCredential } = await import('@azure/identity')
  return new ManagedIdentityCredential()
}

/** {@link azureCredential} as a subject. */
export async function azureSubject(url: string): Promise<Subject> {
  const credential = await azureCredential(url)
  return { get: (scope) => credential.getToken(scope), close: async () => {} }
}
