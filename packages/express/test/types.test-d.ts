/**
 * Type tests, checked by `tsc -p test` (never run). Without the opt-in augment, Express's Request
 * gains nothing; the augment itself is checked in its own program, test/augment/.
 */
import type { AccessToken, ReadinessReport } from '@keyless/core'
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express'
import { bindKeyless, keyless, readiness, requestToken, tokenErrors, warmUp, type RequestKeyless } from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const is = <T extends true>(): T => true as T

declare const req: Request
const token = requestToken(req, 'https://vault.azure.net/.default')
is<Equal<typeof token, Promise<AccessToken>>>()
is<Equal<ReturnType<typeof requestToken>, Promise<AccessToken>>>()
is<Equal<Awaited<ReturnType<RequestKeyless['getToken']>>, AccessToken>>()

// @ts-expect-error: no global augmentation: req.keyless exists only after '@keyless/express/augment'
void req.keyless

declare const provider: Parameters<typeof readiness>[0]['provider']
const app = express()
app.use(keyless({ provider }) satisfies RequestHandler)
is<Equal<ReturnType<typeof bindKeyless>, void>>()
bindKeyless(app, { provider, scopes: ['https://vault.azure.net/.default'] })
// @ts-expect-error: a Router has no request prototype of its own; bindKeyless takes an application
bindKeyless(express.Router(), { provider })
// @ts-expect-error: the same options as keyless(); no others
bindKeyless(app, { provider, scope: 'https://vault.azure.net/.default' })
app.get('/ready', readiness({ provider, scopes: ['https://vault.azure.net/.default'] }))
app.get('/items/:id', async (routed, res) => {
  // A route's own Request type (typed params) is accepted as is.
  const { token: value } = await requestToken(routed, undefined, { forceRefresh: true })
  res.json({ id: routed.params.id, length: value.length })
})
app.use(tokenErrors({ status: 503 }) satisfies ErrorRequestHandler)
is<Equal<ReturnType<typeof warmUp>, Promise<void>>>()
is<Equal<ReadinessReport['scopes'][number]['expiresAt'], number | null>>()

// @ts-expect-error: the scopes are strings
keyless({ provider, scopes: [42] })
// @ts-expect-error: readiness needs scopes
readiness({ provider })
// @ts-expect-error: readiness needs peekToken; a bare TokenProvider is not enough
readiness({ provider: { name: 'bare', getToken: provider.getToken }, scopes: ['x'] })
// @ts-expect-error: one signature: an options object
void warmUp(provider)
