/**
 * Security property: a secret (the App Service `X-IDENTITY-HEADER`, the legacy `secret`, the
 * federated `client_assertion`) is sent to the endpoint it was configured for and to no other
 * host, even when several providers of every kind run side by side in one process and share
 * keyless's HTTP machinery.
 */
import { createLoopbackCertificates } from '@keyless/emulator'
import type { KeylessTokenProvider } from 'keyless'
import { afterEach, describe, expect, it } from 'vitest'
import { answerToken, localProvider, tokenFile, type LocalSource } from '../support/local-sources.js'
import { startLocalServer, type LocalServer } from '../support/local-server.js'

const SCOPES = ['https://vault.azure.net/.default', 'https://storage.azure.com/.default', 'https://management.azure.com/.default']

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()))
})

interface Party {
  readonly source: LocalSource
  readonly secret: string
  readonly server: LocalServer
}

describe('security: secret headers are never sent to any host but the configured endpoint', () => {
  it('keeps each provider\'s secret on its own endpoint while all of them run at once', async () => {
    const certificates = await createLoopbackCertificates()
    const plan: [LocalSource, string][] = [
      ['imds', 'NO-SECRET-IMDS'],
      ['app-service', 'SECRET-HEADER-A-41c0'],
      ['app-service', 'SECRET-HEADER-B-9e12'],
      ['app-service-2017', 'SECRET-LEGACY-C-d3aa'],
      ['app-service-2017', 'SECRET-LEGACY-D-07f5'],
      ['workload-identity', 'eyJhbGciOiJSUzI1NiJ9.ASSERTION-E-5b6c.c2ln'],
      ['workload-identity', 'eyJhbGciOiJSUzI1NiJ9.ASSERTION-F-ac19.c2ln'],
    ]
    const parties: Party[] = []
    const providers: KeylessTokenProvider[] = []
    for (const [source, secret] of plan) {
      const server = await startLocalServer(answerToken(source, `eyJ0eXAiOiJKV1QifQ.token-${secret}.c2ln`), {
        tls: source === 'workload-identity',
        certificates,
      })
      const file = await tokenFile(secret)
      cleanup.push(() => server.close(), () => file.remove())
      parties.push({ source, secret, server })
      providers.push(localProvider(source, server, { value: secret, tokenFilePath: file.path }))
    }
    cleanup.push(async () => void (await Promise.all(providers.map((p) => p.close()))))

    // Interleaved and concurrent, twice (the second round forces refreshes over kept-alive sockets).
    for (const forceRefresh of [false, true]) {
      await Promise.all(SCOPES.flatMap((scope) => providers.map((provider) => provider.getToken(scope, { forceRefresh }))))
    }

    for (const party of parties) {
      const seen = JSON.stringify(party.server.requests)
      expect(party.server.requests).toHaveLength(SCOPES.length * 2)
      // Its own secret arrived where it belongs (so the absence below means something) ...
      if (party.source === 'app-service') expect(party.server.requests.every((r) => r.headers['x-identity-header'] === party.secret)).toBe(true)
      if (party.source === 'app-service-2017') expect(party.server.requests.every((r) => r.headers['secret'] === party.secret)).toBe(true)
      if (party.source === 'workload-identity') {
        expect(party.server.requests.every((r) => new URLSearchParams(r.body).get('client_assertion') === party.secret)).toBe(true)
      }
      // ... and no other party's secret ever did.
      for (const other of parties) if (other !== party) expect(seen).not.toContain(other.secret)
    }
    // IMDS carries no secret at all: only Metadata: true.
    const imdsRequest = parties[0]!.server.requests[0]!
    expect(imdsRequest.headers['metadata']).toBe('true')
    expect(imdsRequest.headers['x-identity-header']).toBeUndefined()
    expect(imdsRequest.headers['secret']).toBeUndefined()
  })
})
