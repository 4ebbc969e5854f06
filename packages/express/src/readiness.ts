/**
 * `readiness()`: a readiness-probe handler that reports whether the configured scopes have usable
 * tokens, per scope, without ever showing a token.
 *
 * @module
 */
import { readinessReport, type InspectableProvider } from '@keyless/core'
import type { RequestHandler } from 'express'
import { checkBoolean, checkOptions, checkProvider, checkScopes } from './lib/check-options.js'

/** Options of {@link readiness}. */
export interface ReadinessOptions {
  /** The provider the app uses; it needs `peekToken` (every keyless provider has it). */
  provider: InspectableProvider
  /** The scopes that must have a usable token for the app to be ready. At least one. */
  scopes: readonly string[]
  /**
   * When a scope has no usable token, start a background fetch for it (single-flighted, and
   * free during the provider's cool-down), so a token that lapsed comes back by the next probe.
   * The probe itself never waits for it. Default `true`.
   */
  fetchMissing?: boolean | undefined
}

/**
 * Makes a handler that answers 200 `{ ready: true, source, scopes }` when every configured scope
 * has a usable token, else 503 `{ ready: false, source, scopes }`, with `Cache-Control: no-store`.
 *
 * The check is synchronous and does no I/O (`peekToken` and `stats`), so probes are cheap and
 * never time out. Each scope reports `ready`, `state`, `expiresAt`, `refreshAt` and
 * `lastErrorCode`: never a token, never a header. With `fetchMissing` (the default), a scope
 * without a usable token gets a background fetch, so the probe recovers by itself.
 *
 * Throws a `config` KeylessError at once for a provider without `peekToken`, an empty or invalid
 * `scopes`, or an unknown option.
 *
 * @example
 * ```ts
 * app.get('/ready', readiness({ provider, scopes: ['https://vault.azure.net/.default'] }))
 * ```
 */
export function readiness(options: ReadinessOptions): RequestHandler {
  const where = 'readiness()'
  const checked = checkOptions(options, where, ['provider', 'scopes', 'fetchMissing'])
  const provider = checkProvider(checked.provider, where, { needsPeek: true }) as InspectableProvider
  const scopes = checkScopes(checked.scopes, where, { required: true })
  const fetchMissing = checkBoolean(checked.fetchMissing, 'fetchMissing', where) ?? true
  return function readinessHandler(_req, res) {
    const report = readinessReport(provider, scopes, { fetchMissing })
    res.status(report.ready ? 200 : 503).set('Cache-Control', 'no-store').json(report)
  }
}
