/**
 * The App Service header, the legacy secret and the service-account token (assertion) never
 * appear in the request log, the admin API, an error body or message, or anything logged.
 */
import { readFile } from 'node:fs/promises'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ADMIN_PATH_PREFIX, DEFAULT_TENANT_ID, startEmulator } from '../src/index.js'
import type { Emulator } from '../src/index.js'
import { VAULT, imdsRequest, rawRequest } from './http-client.js'
import type { RawResponse } from './http-client.js'
import {
  APP_SERVICE_QUERY,
  LEGACY_QUERY,
  appServiceRequest,
  entraForm,
  entraTokenRequest,
  httpsRequest,
  legacyRequest,
} from './https-client.js'

const HEADER = 'LEAKCHECK-appservice-header-7f3a9c'
const SECRET = 'LEAKCHECK-legacy-secret-91bc4e'

let emulator: Emulator
let assertion: string
const consoleCalls: unknown[] = []
beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleCalls.push(args))
  }
  emulator = await startEmulator({ appServiceHeader: HEADER, legacySecret: SECRET })
  assertion = (await readFile(emulator.entra.tokenFile, 'utf8')).trim()
})
afterAll(async () => {
  await emulator.close()
  vi.restoreAllMocks()
})

function expectNoSecret(text: string): void {
  for (const secret of [HEADER, SECRET, assertion]) expect(text).not.toContain(secret)
}

const entraPath = (query = ''): string => `/${DEFAULT_TENANT_ID}/oauth2/v2.0/token${query}`

describe('secrets', () => {
  it('stay out of every answer, the log, the admin API and the console on every failure path', async () => {
    const wrongEndpoint = { 'X-IDENTITY-HEADER': HEADER, secret: SECRET, Metadata: 'true' }
    emulator.faultsFor('app-service').enqueue({ status: 500 }, { kind: 'non-json' })
    emulator.faultsFor('app-service-2017').enqueue({ status: 503 })
    emulator.faultsFor('entra').enqueue({ status: 429 })
    const answers: RawResponse[] = [
      // App Service 2019: secret right, something else wrong; secret in the query; faults.
      await appServiceRequest(emulator, { query: `resource=${VAULT}&api-version=2017-09-01` }),
      await appServiceRequest(emulator, { query: 'api-version=2019-08-01' }),
      await appServiceRequest(emulator, { query: `${APP_SERVICE_QUERY}&client_id=nobody` }),
      await appServiceRequest(emulator, { method: 'POST' }),
      await appServiceRequest(emulator, { headers: { secret: SECRET } }),
      await appServiceRequest(emulator, { headers: {}, query: `${APP_SERVICE_QUERY}&X-IDENTITY-HEADER=${HEADER}` }),
      await appServiceRequest(emulator),
      await appServiceRequest(emulator),
      // Legacy 2017: the same.
      await legacyRequest(emulator, { query: `resource=${VAULT}&api-version=2019-08-01` }),
      await legacyRequest(emulator, { query: `${LEGACY_QUERY}&client_id=x` }),
      await legacyRequest(emulator, { headers: { 'X-IDENTITY-HEADER': HEADER } }),
      await legacyRequest(emulator, { headers: {}, query: `${LEGACY_QUERY}&secret=${SECRET}` }),
      await legacyRequest(emulator),
      // IMDS and 404s carrying the secrets as headers.
      await imdsRequest(emulator.port, { headers: wrongEndpoint }),
      await rawRequest(emulator.port, '/nowhere', { headers: wrongEndpoint }),
      // Entra: the real assertion with every other field wrong, in the query, in the wrong field; a fault.
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { client_id: 'other' }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { scope: VAULT }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { scope: `${assertion}/.default x` }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { scope: assertion }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { client_id: assertion }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { grant_type: 'password' }) }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { client_assertion_type: 'x' }) }),
      await entraTokenRequest(emulator, { body: `${await entraForm(emulator)}&client_assertion=${assertion}` }),
      await entraTokenRequest(emulator, { body: await entraForm(emulator, { client_assertion: `${assertion}x` }) }),
      await entraTokenRequest(emulator, { path: entraPath(`?client_assertion=${assertion}`), method: 'GET', body: '' }),
      await entraTokenRequest(emulator, { path: entraPath(`?client-request-id=${assertion}`), body: await entraForm(emulator, { scope: 'x' }) }),
      await entraTokenRequest(emulator, { path: `/${assertion}/oauth2/v2.0/token` }),
      await entraTokenRequest(emulator, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_assertion: 'x' }) }),
      await httpsRequest(`${emulator.entra.authorityHost}/${assertion}/v2.0/.well-known/openid-configuration?client-request-id=${assertion}`, {
        ca: emulator.entra.caPem,
      }),
      await entraTokenRequest(emulator),
    ]
    // Every path failed as meant (the 200s: a non-JSON fault, and IMDS, which ignores those headers).
    expect(answers.map((res) => res.status)).toEqual([
      ...[400, 400, 400, 405, 400, 400, 500, 200],
      ...[400, 400, 400, 400, 503],
      ...[200, 404],
      ...[400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 429],
    ])
    for (const res of answers) expectNoSecret(res.text)

    expectNoSecret(JSON.stringify(emulator.requests))
    expectNoSecret(inspect(emulator.requests, { depth: null }))
    expectNoSecret(JSON.stringify(emulator.counters))
    expectNoSecret((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/requests`)).text)
    expectNoSecret((await rawRequest(emulator.port, `${ADMIN_PATH_PREFIX}/counters`)).text)
    expectNoSecret(inspect(consoleCalls, { depth: null }))
    expect(emulator.requests).toHaveLength(answers.length)
  })

  it('stay out of the error for an invalid option', async () => {
    for (const options of [{ appServiceHeader: `${HEADER} x` }, { legacySecret: `${SECRET}\n` }]) {
      const error: unknown = await startEmulator(options).catch((caught: unknown) => caught)
      expect(error).toMatchObject({ code: 'ERR_EMULATOR_CONFIG' })
      expectNoSecret(`${String(error)} ${inspect(error)} ${JSON.stringify(error)}`)
    }
  })
})
