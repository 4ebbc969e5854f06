/**
 * `requestToken()`: a token for the request being handled, tied to that request's lifetime.
 *
 * @module
 */
import { abortedError, cachedTokenOf, configError, KeylessError, linkSignals, untilAborted, type AccessToken } from '@keyless/core'
import type { Request } from 'express'
import { SOURCE } from './lib/check-options.js'
import { clientSignal } from './lib/client-signal.js'
import { contextOf } from './lib/request-context.js'

/** Per-call options of {@link requestToken}; all optional. */
export interface RequestTokenOptions {
  /** Also release the wait when this signal aborts (a handler's own time budget, say). */
  signal?: AbortSignal | undefined
  /** Fetch a new token even if the cached one is usable (after a 401); coalesced and rate-limited by the provider. */
  forceRefresh?: boolean | undefined
  /** A claims challenge (CAE) from a resource server; bypasses the cache. */
  claims?: string | undefined
}

/**
 * Resolves an access token for `scope` from the provider of the `keyless()` middleware that ran
 * for `req` (the innermost one when several did), else of the `bindKeyless()` binding of its app.
 *
 * `scope` defaults to the first of the binding's `scopes`. A cached, usable token resolves at
 * once with no I/O. Otherwise the wait is tied to the request: if the client disconnects before
 * the response is finished, this call rejects with `aborted` and only this request's wait is
 * released; the provider's fetch goes on for every other caller and for the cache.
 *
 * Rejects with the provider's coded {@link KeylessError} when no token can be had (the
 * `tokenErrors()` middleware turns it into a 503), with `invalid-scope` for a bad scope or when no
 * scope was given and none is configured, and with `config` when neither a `keyless()` middleware
 * nor a `bindKeyless()` binding covers `req`.
 * Never throws synchronously.
 *
 * @example
 * ```ts
 * app.get('/secret', async (req, res) => {
 *   const { token } = await requestToken(req, 'https://vault.azure.net/.default')
 *   res.json(await readSecret(token))
 * })
 * ```
 */
export function requestToken(req: Request, scope?: string, options?: RequestTokenOptions): Promise<AccessToken> {
  const context = contextOf(req)
  if (context === undefined) {
    return Promise.reject(
      configError('requestToken(): no provider for this request; call bindKeyless(app, { provider }) or add app.use(keyless({ provider })) before this route', SOURCE),
    )
  }
  const target = scope ?? context.defaultScope
  if (target === undefined) {
    return Promise.reject(
      new KeylessError('invalid-scope', 'requestToken(): no scope given, and keyless() has no scopes to default to; pass one', { source: SOURCE }),
    )
  }
  const { provider } = context
  try {
    // The hit path: no signal, so the provider returns its already-settled promise and counts the
    // hit (which keeps the token in use, so the engine goes on refreshing it in the background).
    const hit = cachedTokenOf(provider, target, options)
    if (hit !== undefined) return hit

    const client = clientSignal(req)
    // linkSignals rather than AbortSignal.any: a handler's signal may live long, and any() would keep every composite.
    const linked = client === undefined || options?.signal === undefined ? undefined : linkSignals([client, options.signal])
    const signal = linked?.signal ?? client ?? options?.signal
    const pending = provider.getToken(target, { signal, forceRefresh: options?.forceRefresh, claims: options?.claims })
    // Also for providers of someone else's that ignore the signal: the wait is released either way.
    if (signal === undefined) return pending
    const released = untilAborted(pending, signal, (reason) => abortedError(reason, provider.name, `${provider.name}: the caller aborted its wait for a token`))
    if (linked !== undefined) released.then(linked.dispose, linked.dispose)
    return released
  } catch (error: unknown) {
    return Promise.reject(error) // a provider of someone else's that throws instead of rejecting
  }
}
