/**
 * Whether a provider has usable tokens for the scopes an app needs, as readiness endpoints of the
 * Express and Fastify plugins report it. Never a token.
 *
 * @module
 */
import type { KeylessErrorCode } from '../errors/keyless-error.js'
import type { ProviderStats, ScopeState, ScopeStats } from '../engine/provider-stats.js'
import { scopeToResource } from '../scope/scope.js'
import type { AccessToken, TokenProvider } from '../token-provider.js'

/** A provider readiness can inspect without I/O: every keyless provider. */
export interface InspectableProvider extends TokenProvider {
  peekToken(scope: string): AccessToken | undefined
  stats?(): ProviderStats
}

/** One scope of a {@link ReadinessReport}. Absent values are `null`, so the shape never changes. */
export interface ScopeReadiness {
  readonly scope: string
  /** A usable token is cached for the scope now. */
  readonly ready: boolean
  /** `fresh`, `refreshing`, `degraded` (served while the refresh fails), `failing` or `empty`. */
  readonly state: ScopeState
  readonly expiresAt: number | null
  readonly refreshAt: number | null
  /** The code of the last failed fetch while it is unresolved, such as `endpoint-unavailable`. */
  readonly lastErrorCode: KeylessErrorCode | null
}

/** The body of a readiness endpoint: 200 when `ready`, else 503. */
export interface ReadinessReport {
  /** Every scope is ready. */
  readonly ready: boolean
  /** The provider's `name` (`imds`, `app-service`, ...). */
  readonly source: string
  readonly scopes: readonly ScopeReadiness[]
}

const noop = (): void => {}

/**
 * Reports on `scopes` synchronously, with no I/O: `peekToken` says whether each is usable now and
 * `stats()` adds its state and timing. With `fetchMissing` (default `true`) a scope with no usable
 * token gets a background `getToken` (single-flighted, and failing fast during the provider's
 * cool-down), so a token that lapsed because nobody used it comes back by the next probe; the
 * report never waits for it.
 *
 * @example
 * ```ts
 * const report = readinessReport(provider, ['https://vault.azure.net/.default'])
 * res.status(report.ready ? 200 : 503).json(report)
 * ```
 */
export function readinessReport(
  provider: InspectableProvider,
  scopes: readonly string[],
  options: { fetchMissing?: boolean | undefined } = {},
): ReadinessReport {
  const known = provider.stats?.().scopes ?? []
  const reports = scopes.map((scope): ScopeReadiness => {
    const token = provider.peekToken(scope)
    // The engine keys its cache by resource: `https://x/.default` and `https://x` share an entry,
    // listed under the spelling first asked for.
    const resource = scopeToResource(scope)
    const stats: ScopeStats | undefined = known.find((s) => s.scope === scope) ?? known.find((s) => scopeToResource(s.scope) === resource)
    if (token === undefined && options.fetchMissing !== false) provider.getToken(scope).catch(noop)
    return {
      scope,
      ready: token !== undefined,
      state: stats?.state ?? (token === undefined ? 'empty' : 'fresh'),
      expiresAt: stats?.expiresAt ?? token?.expiresAt ?? null,
      refreshAt: stats?.refreshAt ?? token?.refreshAt ?? null,
      lastErrorCode: stats?.lastErrorCode ?? null,
    }
  })
  return { ready: reports.every((r) => r.ready), source: provider.name, scopes: reports }
}
