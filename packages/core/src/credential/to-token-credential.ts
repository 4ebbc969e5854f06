/**
 * The Azure SDK `TokenCredential` shape over any keyless provider, so every Azure SDK client
 * (`BlobServiceClient`, `SecretClient`, ...) runs on keyless. Structural: no `@azure/*` import.
 *
 * @module
 */
import { KeylessError } from '../errors/keyless-error.js'
import type { AccessToken, TokenProvider } from '../token-provider.js'

const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/** The abort signal shape of the Azure SDK (`@azure/abort-controller`'s `AbortSignalLike`). */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason?: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** The options Azure SDK clients pass to `getToken` that keyless honours. */
export interface CredentialGetTokenOptions {
  abortSignal?: AbortSignalLike | undefined
  claims?: string | undefined
}

/** The Azure SDK `AccessToken` shape (`@azure/core-auth`). */
export interface CredentialAccessToken {
  readonly token: string
  readonly expiresOnTimestamp: number
  readonly refreshAfterTimestamp: number
  readonly tokenType: 'Bearer'
}

/** The Azure SDK `TokenCredential` shape (`@azure/core-auth`). */
export interface KeylessTokenCredential {
  getToken(scopes: string | string[], options?: CredentialGetTokenOptions): Promise<CredentialAccessToken>
}

class RedactedCredentialToken implements CredentialAccessToken {
  readonly #source: AccessToken
  readonly expiresOnTimestamp: number
  readonly refreshAfterTimestamp: number
  readonly tokenType = 'Bearer' as const

  constructor(source: AccessToken) {
    this.#source = source
    this.expiresOnTimestamp = source.expiresAt
    this.refreshAfterTimestamp = source.refreshAt
    Object.freeze(this)
  }

  get token(): string {
    return this.#source.token
  }

  toJSON(): Record<string, unknown> {
    return { token: '[redacted]', expiresOnTimestamp: this.expiresOnTimestamp, refreshAfterTimestamp: this.refreshAfterTimestamp }
  }

  [INSPECT](): string {
    return `AccessToken { token: '[redacted]', expiresOnTimestamp: ${this.expiresOnTimestamp} }`
  }
}

/**
 * Adapts a provider to the Azure SDK `TokenCredential` interface. Exactly one scope per call (the
 * Azure SDK's managed-identity rule); `abortSignal` releases that caller only; `claims` passes a
 * CAE challenge through. Repeated hits return the same object, so the hit path stays allocation-free.
 *
 * @example
 * ```ts
 * import { BlobServiceClient } from '@azure/storage-blob'
 * const credential = toTokenCredential(imds())
 * const blobs = new BlobServiceClient('https://acct.blob.core.windows.net', credential)
 * ```
 */
export function toTokenCredential(provider: TokenProvider): KeylessTokenCredential {
  const converted = new WeakMap<AccessToken, CredentialAccessToken>()
  const convert = (token: AccessToken): CredentialAccessToken => {
    let result = converted.get(token)
    if (result === undefined) converted.set(token, (result = new RedactedCredentialToken(token)))
    return result
  }
  return {
    async getToken(scopes, options) {
      const list = typeof scopes === 'string' ? [scopes] : scopes
      if (list.length !== 1 || typeof list[0] !== 'string') {
        throw new KeylessError('invalid-scope', `${provider.name}: exactly one scope per getToken call (got ${list.length})`, {
          source: provider.name,
        })
      }
      const like = options?.abortSignal
      if (like === undefined || like instanceof AbortSignal) {
        return convert(await provider.getToken(list[0], { signal: like, claims: options?.claims }))
      }
      // A signal-like object from another realm or polyfill: follow it with a real AbortSignal.
      const controller = new AbortController()
      const onAbort = (): void => controller.abort(like.reason)
      if (like.aborted) onAbort()
      else like.addEventListener('abort', onAbort, { once: true })
      try {
        return convert(await provider.getToken(list[0], { signal: controller.signal, claims: options?.claims }))
      } finally {
        like.removeEventListener('abort', onAbort)
      }
    },
  }
}
