/**
 * Type tests, compiled by `tsc -p test` (never run; `types.test.ts` runs that compile in the tests): the decorators exist with the right types,
 * and options the plugin does not know are rejected at compile time.
 */
import type { AccessToken, GetTokenOptions, KeylessTokenProvider, TokenProvider } from '@keyless/core'
import { imds } from '@keyless/imds'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { expectTypeOf } from 'vitest'
import type { ReadinessReport } from '@keyless/core'
import defaultExport, { fastifyKeyless, type FastifyKeylessOptions } from '../src/index.js'

declare const provider: KeylessTokenProvider
const app = Fastify()

// Registration: each way of giving the provider, with and without the other options.
app.register(fastifyKeyless, { provider })
app.register(fastifyKeyless, { source: () => imds() })
app.register(defaultExport, {
  provider,
  scopes: ['https://vault.azure.net/.default'],
  warmUp: true,
  failFast: false,
  readiness: { url: '/ready' },
  errorStatus: 502,
})
app.register(fastifyKeyless, { provider, readiness: true, errorStatus: false, scopes: ['https://vault.azure.net/.default'] })

// Unknown options are rejected.
// @ts-expect-error `scope` is not an option (it is `scopes`)
app.register(fastifyKeyless, { provider, scope: 'https://vault.azure.net/.default' })
// @ts-expect-error unknown key
app.register(fastifyKeyless, { source: () => imds(), retries: 3 })
// @ts-expect-error unknown key inside `readiness`
app.register(fastifyKeyless, { provider, readiness: { path: '/ready' } })

// Exactly one of provider / source.
// @ts-expect-error neither
app.register(fastifyKeyless, { scopes: ['https://vault.azure.net/.default'] })
// @ts-expect-error both
app.register(fastifyKeyless, { provider, source: () => imds() })
// @ts-expect-error `source` is a factory, not a provider
app.register(fastifyKeyless, { source: provider })
// @ts-expect-error errorStatus is a number or false
app.register(fastifyKeyless, { provider, errorStatus: true })

// The decorators.
expectTypeOf<FastifyInstance['keyless']>().toEqualTypeOf<TokenProvider>()
expectTypeOf<FastifyRequest['getToken']>().toEqualTypeOf<(scope?: string, options?: GetTokenOptions) => Promise<AccessToken>>()

app.get('/', async function (request) {
  expectTypeOf(this.keyless).toEqualTypeOf<TokenProvider>()
  expectTypeOf(request.server.keyless.getToken).toBeFunction()
  const token = await request.getToken()
  expectTypeOf(token).toEqualTypeOf<AccessToken>()
  await request.getToken('https://storage.azure.com/.default', { forceRefresh: true })
  // @ts-expect-error a scope is a string
  await request.getToken(42)
  return { expiresAt: token.expiresAt }
})

expectTypeOf<FastifyKeylessOptions>().toHaveProperty('scopes')
expectTypeOf<ReadinessReport['ready']>().toEqualTypeOf<boolean>()
