/**
 * `chain()`: the first provider that exists here serves every call.
 *
 * @module
 */
import { isKeylessError, KeylessError, type AccessToken, type GetTokenOptions, type TokenProvider } from '@keyless/core'

/** A provider made of others; `close()` closes every member that can be closed. */
export interface ChainProvider extends TokenProvider {
  /** `chain` until a member has served a token, then that member's name. */
  readonly name: string
  peekToken(scope: string): AccessToken | undefined
  /** The serving member's `cachedToken(scope)`; `undefined` before a member has served or when it has none. */
  cachedToken(scope: string): Promise<AccessToken> | undefined
  /** The members and, once known, which one serves. Never a secret. */
  describe(): string
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

type Member = TokenProvider & { describe?(): string; close?(): Promise<void> }

/**
 * Tries the providers in order and remembers the first that gives a token: later calls go
 * straight to it, with no walk down the chain. It moves to the next provider only when one rejects
 * with code `unavailable` (its source does not exist here); any other error is that source's real
 * failure and is passed to the caller as is. When every member is unavailable it rejects with
 * `unavailable`, the members' errors in `cause`.
 *
 * @example
 * ```ts
 * const provider = chain(workloadIdentity(), appService(), imds())
 * const { token } = await provider.getToken('https://vault.azure.net/.default')
 * ```
 */
export function chain(...providers: Member[]): ChainProvider {
  if (providers.length === 0) throw new KeylessError('config', 'chain: give at least one provider', { source: 'chain' })
  let winner: Member | undefined

  async function walk(scope: string, options: GetTokenOptions | undefined): Promise<AccessToken> {
    const unavailable: KeylessError[] = []
    for (const provider of providers) {
      try {
        const token = await provider.getToken(scope, options)
        winner ??= provider
        return token
      } catch (error: unknown) {
        // The one decision a chain makes: only "this source does not exist here" moves it on.
        if (!isKeylessError(error) || error.code !== 'unavailable') throw error
        unavailable.push(error)
      }
    }
    throw new KeylessError('unavailable', `chain: no provider is available here (${providers.map((p) => p.name).join(', ')})`, {
      source: 'chain',
      cause: new AggregateError(unavailable, 'every provider of the chain is unavailable'),
    })
  }

  const close = async (): Promise<void> => {
    await Promise.all(providers.map((provider) => provider.close?.()))
  }

  return {
    get name() {
      return winner?.name ?? 'chain'
    },
    getToken: (scope, options) => (winner === undefined ? walk(scope, options) : winner.getToken(scope, options)),
    peekToken: (scope) => winner?.peekToken?.(scope),
    cachedToken: (scope) => winner?.cachedToken?.(scope),
    describe() {
      const members = providers.map((provider) => provider.describe?.() ?? provider.name).join(' → ')
      return winner === undefined ? `chain: ${members}` : `chain served by ${winner.describe?.() ?? winner.name}`
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
