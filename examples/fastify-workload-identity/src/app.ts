/**
 * The service: a Fastify 5 app on AKS with Workload Identity. `@keyless/fastify` makes the token
 * provider from the pod's environment, warms the vault token before the app serves, answers the
 * readiness probe and turns token failures into 503s. The routes report on the token, never the
 * token itself.
 *
 * @module
 */
import type { AccessToken } from '@keyless/core'
import { DEFAULT_READINESS_URL, fastifyKeyless } from '@keyless/fastify'
import { workloadIdentity } from '@keyless/workload-identity'
import Fastify, { type FastifyInstance } from 'fastify'

/** The scope of Key Vault tokens: the resource `https://vault.azure.net`, as a v2 scope. */
export const VAULT_SCOPE = 'https://vault.azure.net/.default'

/** Where the readiness probe points: `GET /health/tokens`. */
export const READINESS_URL = DEFAULT_READINESS_URL

/** What `GET /token` and `POST /token/refresh` answer: when the token expires, never the token. */
export interface TokenInfo {
  /** The provider's source, `workload-identity`. */
  readonly source: string
  readonly scope: string
  /** Epoch ms. */
  readonly expiresAt: number
  /** When keyless refreshes it in the background, epoch ms. */
  readonly refreshAt: number
}

/** Options of {@link buildApp}. */
export interface AppOptions {
  /** Pino's level: `info` by default. */
  readonly logLevel?: string | undefined
}

/**
 * Builds the app; `listen()` (or `ready()`) warms the vault token and rejects when it cannot be had.
 *
 * @example
 * ```ts
 * const app = await buildApp()
 * await app.listen({ host: '127.0.0.1', port: 3000 })
 * ```
 */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: options.logLevel ?? 'info' } })

  await app.register(fastifyKeyless, {
    // The plugin calls this once and owns the result: it closes the provider in onClose.
    // workloadIdentity() reads what the AKS webhook injects into the pod: AZURE_CLIENT_ID,
    // AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
    source: () =>
      workloadIdentity({
        // The kubelet rotates the projected service-account token file; keyless re-reads it when a
        // watch on its directory fires. 0 adds a stat of the file before every exchange with Entra
        // ID (one per token refresh, about hourly per scope; never on a cache hit), so a rotation is
        // seen even when the watch event is late or lost. The default trusts the watch for 5 min.
        tokenFileCheckIntervalMs: 0,
      }),
    scopes: [VAULT_SCOPE], // warmed in onReady; the default scope of request.getToken()
    readiness: true, // GET /health/tokens: 200 or 503, per-scope JSON, never a token
  })

  // The token's metadata. request.getToken() is a cache hit here: no request to Entra ID.
  app.get('/token', async (request): Promise<TokenInfo> => tokenInfo(app, await request.getToken()))

  // What a handler does when a downstream API answers 401 with a token that looked valid (revoked,
  // roles changed): ask for a new one. keyless coalesces forced refreshes and allows one per scope
  // every 30 s (forceRefreshIntervalMs), so even a public route like this cannot flood Entra ID;
  // in a real service keep it internal.
  app.post('/token/refresh', async (request): Promise<TokenInfo> => tokenInfo(app, await request.getToken(VAULT_SCOPE, { forceRefresh: true })))

  return app
}

function tokenInfo(app: FastifyInstance, token: AccessToken): TokenInfo {
  // Pick the fields: never return (or spread) the AccessToken itself.
  return { source: app.keyless.name, scope: VAULT_SCOPE, expiresAt: token.expiresAt, refreshAt: token.refreshAt }
}
