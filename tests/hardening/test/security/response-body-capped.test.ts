/**
 * Security property: response bodies are capped at DEFAULT_MAX_BODY_BYTES (64 KiB,
 * packages/core/src/http/http-client.ts). A larger token answer is `bad-response`, not retried;
 * one of exactly the cap is accepted (the boundary); a body that never ends is cut off and its
 * connection closed; a huge error body does not change the status's code. Every source.
 */
import { createLoopbackCertificates, EMULATOR_SOURCES, type LoopbackCertificates } from '@keyless/emulator'
import { DEFAULT_MAX_BODY_BYTES } from 'keyless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directSubjects, useSourceEmulator } from '../support/emulator-sources.js'
import { LOCAL_SOURCES, localProvider, tokenFile } from '../support/local-sources.js'
import { startLocalServer } from '../support/local-server.js'
import { printed } from '../support/printed.js'

const VAULT = 'https://vault.azure.net/.default'

let certificates: LoopbackCertificates
let file: Awaited<ReturnType<typeof tokenFile>>

const emulator = useSourceEmulator()
beforeAll(async () => {
  certificates = await createLoopbackCertificates()
  file = await tokenFile('eyJhbGciOiJub25lIn0.e30.c2ln')
})
afterAll(async () => {
  await file.remove()
})

const subject = (source: string) => directSubjects(emulator()).find((s) => s.source === source)!
const endpointOf = (source: string) => (source === 'workload-identity' ? 'entra' : source) as 'imds' | 'app-service' | 'app-service-2017' | 'entra'

describe('security: response bodies are capped', () => {
  it('caps at 64 KiB', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(64 * 1024)
  })

  it.each(EMULATOR_SOURCES)('%s: a token answer one byte over the cap is bad-response, not retried; one at the cap is accepted', async (source) => {
    const faults = emulator().faultsFor(endpointOf(source))
    await using provider = subject(source).make({ retry: { retries: 2 } })
    faults.enqueue({ kind: 'oversized', bytes: DEFAULT_MAX_BODY_BYTES + 1 })
    await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response', retryable: false })
    expect(emulator().counters.byEndpoint[endpointOf(source)]).toBe(1)

    faults.enqueue({ kind: 'oversized', bytes: DEFAULT_MAX_BODY_BYTES })
    await using fresh = subject(source).make() // the first one's breaker now fails fast
    await expect(fresh.getToken(VAULT)).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it.each(EMULATOR_SOURCES)('%s: a huge error body keeps the status\'s code and stays out of the error', async (source) => {
    await using provider = subject(source).make({ retry: { retries: 0 } })
    const marker = 'HUGE-ERROR-BODY-'
    emulator().faultsFor(endpointOf(source)).enqueue({ status: 400, body: { error: 'invalid_request', error_description: marker.repeat(200_000) } })
    const error = await provider.getToken(VAULT).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'rejected', status: 400 })
    expect(printed(error)).not.toContain(marker)
  })

  it.each(LOCAL_SOURCES)('%s: a body without a length that never ends is cut off after the cap and its socket closed', async (source) => {
    let written = 0
    let closed: Promise<void> | undefined
    const server = await startLocalServer(
      (_request, response, raw) => {
        closed = new Promise((resolve) => raw.socket.once('close', () => resolve()))
        response.writeHead(200, { 'content-type': 'application/json' }) // chunked: no content-length
        response.write('{"access_token":"')
        const chunk = 'x'.repeat(16 * 1024)
        const pump = (): void => {
          for (let more = true; more && !response.destroyed; ) {
            written += chunk.length
            more = response.write(chunk)
          }
          if (!response.destroyed) response.once('drain', pump)
        }
        pump()
      },
      { tls: source === 'workload-identity', certificates },
    )
    try {
      await using provider = localProvider(source, server, { value: 'SECRET', tokenFilePath: file.path }, { retry: { retries: 0 } })
      await expect(provider.getToken(VAULT)).rejects.toMatchObject({ code: 'bad-response', retryable: false })
      await closed // the client destroyed that connection: the endless body stops (else: a test timeout)
      expect(written).toBeGreaterThan(DEFAULT_MAX_BODY_BYTES)
      expect(server.requests).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})
