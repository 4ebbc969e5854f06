/**
 * A service as a user writes it, against the packages as npm would install them:
 * `installed-tarballs.test.ts` copies this file into a project outside the workspace whose
 * `node_modules` holds the packed tarballs, compiles it there with `tsc` (so against the packed
 * `.d.ts` files), runs the output, and reads the one JSON line it prints. Only lengths and flags
 * are printed, never a token.
 *
 * @module
 */
import { KeylessError as CoreKeylessError } from '@keyless/core'
import { startEmulator } from '@keyless/emulator'
import { bindKeyless, requestToken } from '@keyless/express'
import { fastifyKeyless } from '@keyless/fastify'
import { imds } from '@keyless/imds'
import express from 'express'
import Fastify from 'fastify'
import { appService, isKeylessError, KeylessError, workloadIdentity } from 'keyless'
import type { AddressInfo } from 'node:net'

const SCOPE = 'https://vault.azure.net/.default'
const PACKAGES = ['keyless', '@keyless/core', '@keyless/imds', '@keyless/app-service', '@keyless/workload-identity', '@keyless/express', '@keyless/fastify', '@keyless/emulator']

const emulator = await startEmulator({ port: 0 })
try {
  // Fastify: the plugin owns the provider it makes from `source`, and warms `scopes` in onReady.
  const fastify = Fastify()
  await fastify.register(fastifyKeyless, { source: () => imds({ endpoint: emulator.url }), scopes: [SCOPE] })
  fastify.get('/token', async (request) => ({ length: (await request.getToken()).token.length }))
  // Never called: compiling it is the check. Were the packed types looser, tsc would fail on the unused directive.
  const typesOnly = (): unknown =>
    // @ts-expect-error unknown options are rejected by the plugin's packed types
    fastify.register(fastifyKeyless, { source: () => imds({ endpoint: emulator.url }), retries: 3 })
  void typesOnly
  const fromFastify = await fastify.inject('/token')
  await fastify.close()

  // Express: a provider of the user's, bound to the app; the route awaits its token.
  const provider = imds({ endpoint: emulator.url })
  const app = express()
  bindKeyless(app, { provider })
  app.get('/token', async (req, res) => {
    res.json({ length: (await requestToken(req, SCOPE)).token.length })
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const fromExpress = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`)
  const expressBody = (await fromExpress.json()) as { length: number }
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await provider.close()

  // The other two sources, from the package most users install: App Service over plain HTTP with
  // its header, Workload Identity's token exchange over TLS with the emulator's authority.
  const { entra } = emulator
  const others = {
    'app-service': appService({ endpoint: emulator.appService.endpoint, header: emulator.appService.header }),
    'workload-identity': workloadIdentity({
      clientId: entra.clientId,
      tenantId: entra.tenantId,
      tokenFilePath: entra.tokenFile,
      authorityHost: entra.authorityHost,
      ca: entra.caPem,
    }),
  }
  const sourceTokenLengths: Record<string, number> = {}
  for (const [name, other] of Object.entries(others)) {
    sourceTokenLengths[name] = (await other.getToken(SCOPE)).token.length
    await other.close()
  }

  // One KeylessError class, whichever package a service imports it from.
  let thrown: unknown
  try {
    imds({ clientId: 'a', objectId: 'b' })
  } catch (error) {
    thrown = error
  }

  const report = {
    fastify: { status: fromFastify.statusCode, tokenLength: (fromFastify.json() as { length: number }).length },
    express: { status: fromExpress.status, tokenLength: expressBody.length },
    sourceTokenLengths,
    oneErrorClass: KeylessError === CoreKeylessError && thrown instanceof KeylessError && isKeylessError(thrown),
    resolved: Object.fromEntries(PACKAGES.map((name) => [name, import.meta.resolve(name)])),
  }
  console.log(JSON.stringify(report))
} finally {
  await emulator.close()
}
