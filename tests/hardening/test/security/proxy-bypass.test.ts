/**
 * Security property: IMDS and loopback endpoints ignore HTTP_PROXY / HTTPS_PROXY. With every proxy
 * variable pointing at a recording "proxy", every source (and auto()) gets its token from the
 * emulator on 127.0.0.1 directly and the proxy sees no connection at all. The control case shows
 * the variables are live in this process: a non-loopback https endpoint does go through the proxy,
 * and then only as a CONNECT tunnel, so the proxy never sees the secret either.
 */
import { EMULATOR_SOURCES } from '@keyless/emulator'
import { appService, workloadIdentity } from 'keyless'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { autoSubjects, directSubjects, useSourceEmulator } from '../support/emulator-sources.js'
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js'

const VAULT = 'https://vault.azure.net/.default'
const HEADER = 'RECOGNISABLE-PROXY-HEADER-2f81'
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'] as const

let proxy: RecordingProxy

const emulator = useSourceEmulator({ appServiceHeader: HEADER })
beforeAll(async () => {
  proxy = await startRecordingProxy()
})
beforeEach(() => {
  for (const name of PROXY_VARIABLES) vi.stubEnv(name, proxy.url)
  vi.stubEnv('NO_PROXY', undefined)
  vi.stubEnv('no_proxy', undefined)
})
afterAll(async () => {
  await proxy.close()
})

describe('security: IMDS and loopback requests ignore HTTP_PROXY/HTTPS_PROXY', () => {
  it.each(EMULATOR_SOURCES)('%s connects to its loopback endpoint directly', async (source) => {
    for (const subject of [...directSubjects(emulator()), ...autoSubjects(emulator())].filter((s) => s.source === source)) {
      const before = proxy.connections()
      await using provider = subject.make()
      await expect(provider.getToken(VAULT)).resolves.toMatchObject({ tokenType: 'Bearer' })
      expect(proxy.connections()).toBe(before)
    }
    expect(emulator().counters.byEndpoint[source === 'workload-identity' ? 'entra' : source]).toBe(2)
  })

  it('routes a non-loopback endpoint through the proxy, as a CONNECT tunnel that hides the secret (control)', async () => {
    const assertionFile = emulator().entra.tokenFile
    const from = proxy.seen.length
    await using app = appService({ endpoint: 'https://identity.example/msi/token', header: HEADER, retry: { retries: 0 } })
    await using wi = workloadIdentity({
      clientId: emulator().entra.clientId,
      tenantId: emulator().entra.tenantId,
      tokenFilePath: assertionFile,
      authorityHost: 'https://login.example',
      retry: { retries: 0 },
    })
    await expect(app.getToken(VAULT)).rejects.toMatchObject({ code: 'network' })
    await expect(wi.getToken(VAULT)).rejects.toMatchObject({ code: 'network' })
    expect(proxy.seen.slice(from)).toEqual(['CONNECT identity.example:443 HTTP/1.1', 'CONNECT login.example:443 HTTP/1.1'])
    expect(proxy.received()).not.toContain(HEADER)
    expect(proxy.received()).not.toContain('client_assertion')
    expect(proxy.received()).not.toContain('eyJ')
  })
})
