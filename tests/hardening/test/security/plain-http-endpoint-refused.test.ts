/**
 * Security property: a plain-http endpoint that is not loopback is refused, by a `config` error
 * thrown when the provider is made, so no request can be sent. Every source that takes an endpoint
 * or authority, by option and by environment, and auto() (which reads the same variables).
 * IMDS alone may use plain http to its link-local 169.254.169.254 (it is never routed off the
 * host); Workload Identity refuses http even for loopback (its authority is Entra, always https).
 */
import fc from 'fast-check'
import { appService, auto, imds, workloadIdentity, type KeylessTokenProvider } from 'keyless'
import type { Dispatcher } from 'undici'
import { beforeEach, describe, expect, it } from 'vitest'
import { fuzzParameters } from '@keyless/test-support'
import { clearSourceEnv, stubSourceEnv } from '../support/emulator-sources.js'

const HEADER = 'RECOGNISABLE-PLAIN-HTTP-HEADER'
const CLIENT_ID = '11111111-1111-4111-8111-111111111111'
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47'

/** A dispatcher that counts what it is asked to send (nothing, if the factory refuses). */
let dispatched = 0
const counting = { dispatch: () => ((dispatched += 1), false), close: async () => {}, destroy: async () => {} } as unknown as Dispatcher

/** Every way an endpoint reaches a source, as a factory of `host` (an http URL's authority). */
type Kind = 'imds' | 'app-service' | 'workload-identity'
const WAYS: [string, Kind, (base: string) => KeylessTokenProvider][] = [
  ['imds({ endpoint })', 'imds', (base) => imds({ endpoint: base, dispatcher: counting })],
  ['imds() with AZURE_POD_IDENTITY_AUTHORITY_HOST', 'imds', (base) => (stubSourceEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: base }), imds({ dispatcher: counting }))],
  ['appService({ endpoint })', 'app-service', (base) => appService({ endpoint: `${base}/msi/token`, header: HEADER, dispatcher: counting })],
  ['appService() with IDENTITY_ENDPOINT', 'app-service', (base) => (stubSourceEnv({ IDENTITY_ENDPOINT: `${base}/msi/token`, IDENTITY_HEADER: HEADER }), appService({ dispatcher: counting }))],
  ['appService() with MSI_ENDPOINT', 'app-service', (base) => (stubSourceEnv({ MSI_ENDPOINT: `${base}/msi/token`, MSI_SECRET: HEADER }), appService({ dispatcher: counting }))],
  ['auto() with IDENTITY_ENDPOINT', 'app-service', (base) => (stubSourceEnv({ IDENTITY_ENDPOINT: `${base}/msi/token`, IDENTITY_HEADER: HEADER }), auto({ dispatcher: counting }))],
  ['auto() with MSI_ENDPOINT', 'app-service', (base) => (stubSourceEnv({ MSI_ENDPOINT: `${base}/msi/token`, MSI_SECRET: HEADER }), auto({ dispatcher: counting }))],
  ['auto() with AZURE_POD_IDENTITY_AUTHORITY_HOST', 'imds', (base) => (stubSourceEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: base }), auto({ dispatcher: counting }))],
  ['workloadIdentity({ authorityHost })', 'workload-identity', (base) => workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath: '/nonexistent', authorityHost: base, dispatcher: counting })],
  [
    'workloadIdentity() with AZURE_AUTHORITY_HOST',
    'workload-identity',
    (base) => (
      stubSourceEnv({ AZURE_CLIENT_ID: CLIENT_ID, AZURE_TENANT_ID: TENANT_ID, AZURE_FEDERATED_TOKEN_FILE: '/nonexistent', AZURE_AUTHORITY_HOST: base }),
      workloadIdentity({ dispatcher: counting })
    ),
  ],
  [
    'auto() with AZURE_AUTHORITY_HOST',
    'workload-identity',
    (base) => (
      stubSourceEnv({ AZURE_CLIENT_ID: CLIENT_ID, AZURE_TENANT_ID: TENANT_ID, AZURE_FEDERATED_TOKEN_FILE: '/nonexistent', AZURE_AUTHORITY_HOST: base }),
      auto({ dispatcher: counting })
    ),
  ],
]

/** Non-loopback hosts, spelled as an attacker or a typo might. */
const NAMED_HOSTS = [
  'http://10.0.0.5',
  'http://192.168.1.10:8081',
  'http://0.0.0.0:8081',
  'http://metadata.azure.internal',
  'http://localhost.evil.example',
  'http://127.0.0.1.nip.io',
  'http://identity.localhost', // resolved through DNS by Node
  'http://[::ffff:10.0.0.1]',
  'http://[fe80::1]',
  'http://[::2]',
]

function refusal(make: () => KeylessTokenProvider): unknown {
  try {
    const provider = make()
    return provider
  } catch (error: unknown) {
    return error
  }
}

beforeEach(() => {
  clearSourceEnv()
  dispatched = 0
})

describe('security: a non-loopback plain-http endpoint is refused', () => {
  it.each(WAYS)('%s refuses named non-loopback http hosts with config, before any request', (way, kind, make) => {
    for (const host of NAMED_HOSTS) {
      expect(refusal(() => make(host)), `${way} ${host}`).toMatchObject({ code: 'config' })
    }
    // 169.254.169.254 over plain http is IMDS itself; for anything else it is just another host.
    const metadata = refusal(() => make('http://169.254.169.254'))
    if (kind === 'imds') expect(metadata).not.toBeInstanceOf(Error)
    else expect(metadata).toMatchObject({ code: 'config' })
    expect(dispatched).toBe(0)
  })

  it.each(WAYS)('%s refuses every random non-loopback IPv4 over http (fast-check)', (_way, _kind, make) => {
    fc.assert(
      fc.property(
        fc.ipV4().filter((ip) => !ip.startsWith('127.') && ip !== '169.254.169.254'),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (ip, port) => {
          const base = `http://${ip}${port === undefined ? '' : `:${port}`}`
          expect(refusal(() => make(base))).toMatchObject({ code: 'config' })
        },
      ),
      fuzzParameters(200),
    )
    expect(dispatched).toBe(0)
  })

  it.each(WAYS)('%s accepts loopback over http, except Workload Identity (control)', (way, kind, make) => {
    for (const host of ['http://127.0.0.1:8081', 'http://127.42.0.7', 'http://[::1]:8081', 'http://localhost:8081']) {
      const result = refusal(() => make(host))
      if (kind === 'workload-identity') expect(result).toMatchObject({ code: 'config' })
      else expect(result, `${way} ${host}`).not.toBeInstanceOf(Error)
    }
  })
})
