/**
 * The two contenders as the time-based scenarios (refresh point, outage, failure schedules, hang,
 * memory) use them: a call resolves with the token's expiry and refresh point, not its value.
 *
 * @module
 */
import type { KeylessTokenProvider, TokenProviderOptions } from '@keyless/core'
import { azureCredential, keylessProvider } from './subjects.js'

/** What a scenario needs of a token: when it expires and (if the client says) when it refreshes. */
export interface TokenInfo {
  expiresAt: number
  refreshAt: number | undefined
}

/** A contender: `get(scope)` as `getToken(scope)`. */
export interface TimedSubject {
  get(scope: string): Promise<TokenInfo>
  close(): Promise<void>
  /** The keyless provider, when the subject is keyless. */
  readonly provider?: KeylessTokenProvider
}

export type Contender = 'keyless' | 'azure'

/** keyless `imds()` (with `options`, stated by the scenario) or `ManagedIdentityCredential`, at the emulator. */
export async function timedSubject(name: Contender, url: string, options: Omit<TokenProviderOptions, 'random'> = {}): Promise<TimedSubject> {
  if (name === 'keyless') {
    const provider = await keylessProvider(url, options)
    return {
      provider,
      get: async (scope) => {
        const token = await provider.getToken(scope)
        return { expiresAt: token.expiresAt, refreshAt: token.refreshAt }
      },
      close: () => provider.close(),
    }
  }
  const credential = await azureCredential(url)
  return {
    get: async (scope) => {
      const token = await credential.getToken(scope)
      if (token === null) throw new Error('@azure/identity returned no token')
      return { expiresAt: token.expiresOnTimestamp, refreshAt: token.refreshAfterTimestamp }
    },
    close: async () => {},
  }
}

/** The clock outside the fake one: real epoch ms. */
export const realNow = (): number => performance.timeOrigin + performance.now()

/** A short description of a failure for the report: its code (and status), never a token. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; status?: unknown; statusCode?: unknown; name?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error'
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined
  return status === undefined ? code : `${code} ${status}`
}
