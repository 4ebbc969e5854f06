/**
 * The Fastify 5 plugin: the provider on the instance, `getToken` on requests, warm-up in
 * `onReady`, an optional readiness route, coded errors answered with a status of your choosing.
 *
 * @module
 */
import { cachedTokenOf, configError, KeylessError, readinessReport, type AccessToken, type GetTokenOptions, type InspectableProvider, type TokenProvider } from '@keyless/core'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import fp from 'fastify-plugin'
import { untilDisconnect } from './disconnect-signal.js'
import {
  isTokenProvider,
  PLUGIN_SOURCE,
  resolveFastifyKeylessOptions,
  type FastifyKeylessOptions,
  type OwnedTokenProvider,
} from './fastify-keyless-options.js'
import { keylessErrorHandler } from './keyless-error-handler.js'
import { warmUp } from './warm-up.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The token provider `@keyless/fastify` was given (or made, with `source`). */
    keyless: TokenProvider
  }
  interface FastifyRequest {
    /**
     * A token for `scope` (default: the plugin's first `scopes` entry). Rejects with the
     * provider's coded `KeylessError`, or with code `aborted` (source `fastify`) when the wait is
     * released: `options.signal` aborted, or the client's connection closed. That is the
     * connection, not the reply: a wait that outlives a finished reply is released too once the
     * connection closes, so work after the reply should call `fastify.keyless.getToken()`. A
     * released wait settles at once, even if the provider ignores its signal; a cached token
     * involves no wait.
     */
    getToken(scope?: string, options?: GetTokenOptions): Promise<AccessToken>
  }
}

/**
 * The name the plugin registers under, for `app.hasPlugin()` and other plugins' `dependencies`.
 *
 * @example
 * ```ts
 * export default fp(myPlugin, { name: 'my-plugin', dependencies: [PLUGIN_NAME] })
 * ```
 */
export const PLUGIN_NAME = '@keyless/fastify'

const plugin: FastifyPluginAsync<FastifyKeylessOptions> = async (fastify, options) => {
  const config = resolveFastifyKeylessOptions(options)
  const owned = config.source === undefined ? undefined : make(config.source)
  const provider = owned ?? (config.provider as TokenProvider)
  try {
    fastify.decorate('keyless', provider)
    fastify.decorateRequest('getToken', requestGetToken(provider, config.scopes[0]))
    if (config.warmUp) {
      const { scopes, failFast } = config
      fastify.addHook('onReady', async () => warmUp(provider, scopes, { failFast, log: fastify.log }))
    }
    if (owned !== undefined) fastify.addHook('onClose', async () => owned.close())
    if (config.readinessUrl !== undefined) {
      const { scopes } = config
      if (typeof provider.peekToken !== 'function') {
        throw configError('fastify: the readiness route needs a provider with peekToken (every keyless provider has it)', 'fastify')
      }
      const inspectable = provider as InspectableProvider
      // The report is synchronous and does no I/O; a scope without a token gets a background fetch.
      fastify.get(config.readinessUrl, async (_request, reply) => {
        const report = readinessReport(inspectable, scopes)
        return reply.code(report.ready ? 200 : 503).header('cache-control', 'no-store').send(report)
      })
    }
    if (config.errorStatus !== undefined) fastify.setErrorHandler(keylessErrorHandler(config.errorStatus))
  } catch (error) {
    await owned?.close() // registration failed: nobody else can close what we made
    throw error
  }
}

function make(source: () => OwnedTokenProvider): OwnedTokenProvider {
  const made: unknown = source()
  if (!isTokenProvider(made) || typeof (made as Partial<OwnedTokenProvider>).close !== 'function') {
    throw new KeylessError('config', `${PLUGIN_SOURCE}: \`source\` must return a provider with getToken() and close()`, {
      source: PLUGIN_SOURCE,
    })
  }
  return made as OwnedTokenProvider
}

function requestGetToken(
  provider: TokenProvider,
  defaultScope: string | undefined,
): (this: FastifyRequest, scope?: string, options?: GetTokenOptions) => Promise<AccessToken> {
  return function getToken(this: FastifyRequest, scope = defaultScope, options?: GetTokenOptions) {
    if (scope === undefined) {
      return Promise.reject(
        new KeylessError('invalid-scope', `${PLUGIN_SOURCE}: request.getToken() needs a scope, and the plugin was given no \`scopes\``, {
          source: PLUGIN_SOURCE,
        }),
      )
    }
    // A usable cached token means no wait, so no need to watch the connection (nor to allocate options).
    const hit = cachedTokenOf(provider, scope, options)
    if (hit !== undefined) return hit
    // HTTP/2: the request's own stream. Its compat `socket` proxy forwards `once` to the stream but
    // `off` to the session's socket, so a listener added through it could not be removed.
    const connection = isHttp2(this.raw) ? this.raw.stream : this.raw.socket
    return untilDisconnect(connection, options?.signal, (signal) => provider.getToken(scope, { ...options, signal }))
  }
}

function isHttp2(raw: IncomingMessage | Http2ServerRequest): raw is Http2ServerRequest {
  return 'stream' in raw
}

/**
 * The `@keyless/fastify` plugin (wrapped with fastify-plugin, so its decorators, hooks, route and
 * error handler belong to the scope that registers it).
 *
 * Decorates `fastify.keyless` (the provider) and `request.getToken(scope?, options?)`. Options are
 * checked at registration: a bad one makes `register` / `ready()` reject with code `config`.
 * Warms `scopes` in `onReady`; closes the provider in `onClose` only if it made it (`source`).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { fastifyKeyless } from '@keyless/fastify'
 * import { imds } from '@keyless/imds'
 *
 * const app = Fastify({ logger: true })
 * await app.register(fastifyKeyless, { source: () => imds(), scopes: ['https://vault.azure.net/.default'], readiness: true })
 * app.get('/secret', async (request) => {
 *   const { token } = await request.getToken()
 *   const res = await fetch('https://myvault.vault.azure.net/secrets/db?api-version=7.4', { headers: { authorization: `Bearer ${token}` } })
 *   return res.json()
 * })
 * await app.listen({ port: 3000 })
 * ```
 */
export const fastifyKeyless: FastifyPluginAsync<FastifyKeylessOptions> = fp(plugin, { name: PLUGIN_NAME, fastify: '5.x' })
