/**
 * Security property: redirects are never followed. A 3xx from the configured endpoint becomes a
 * coded error at once (no retry), and the Location target, a second server that would answer a
 * token, is never contacted: the secret the first request carried cannot travel on.
 */
import { createLoopbackCertificates, type LoopbackCertificates } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { answerToken, LOCAL_SOURCES, localProvider, tokenFile, tokenPath } from '../support/local-sources.js'
import { startLocalServer, type LocalServer } from '../support/local-server.js'
import { printed } from '../support/printed.js'

const VAULT = 'https://vault.azure.net/.default'
const SECRET = 'RECOGNISABLE-REDIRECT-SECRET-77ad'
const STOLEN = 'eyJhbGciOiJub25lIn0.TOKEN-FROM-THE-REDIRECT-TARGET.c2ln'
const STATUSES = [301, 302, 303, 307, 308] as const

let certificates: LoopbackCertificates
let file: Awaited<ReturnType<typeof tokenFile>>
const servers: LocalServer[] = []

beforeAll(async () => {
  certificates = await createLoopbackCertificates()
  file = await tokenFile(SECRET)
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})
afterAll(async () => {
  await file.remove()
})

describe('security: redirects are never followed', () => {
  describe.each(LOCAL_SOURCES)('%s', (source) => {
    it.each(STATUSES)('turns a %i into rejected without contacting the Location', async (status) => {
      const tls = source === 'workload-identity'
      const target = await startLocalServer(answerToken(source, STOLEN), { tls, certificates })
      const endpoint = await startLocalServer(
        (request, response) => response.writeHead(status, { location: `${target.url}${request.url}` }).end(),
        { tls, certificates },
      )
      servers.push(target, endpoint)
      const provider = localProvider(source, endpoint, { value: SECRET, tokenFilePath: file.path })

      const error = await provider.getToken(VAULT).catch((e: unknown) => e)
      await provider.close()

      expect(error).toMatchObject({ code: 'rejected', status, retryable: false })
      expect(endpoint.requests).toHaveLength(1) // no retry either
      expect(target.connections()).toBe(0)
      expect(target.requests).toEqual([])
      expect(printed(error)).not.toContain(target.url) // nor does the error repeat the Location
      expect(endpoint.requests[0]?.url.startsWith(tokenPath(source))).toBe(true)
    })
  })
})
