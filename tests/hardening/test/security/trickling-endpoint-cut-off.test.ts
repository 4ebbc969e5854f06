/**
 * Security property: a trickling endpoint is cut off. A local server sends 200 and its headers at
 * once, then the body one byte per real millisecond, forever. undici's own `bodyTimeout` cannot
 * stop that (it is a per-chunk idle timer, re-armed by every byte); keyless's per-attempt timeout
 * (`attemptTimeoutMs`, an engine timer that aborts the request's signal) must, at the configured
 * time, for every source.
 *
 * Time: the engine's clock is fake (`useEngineFakeTimers`; `settle` advances it 100 ms per real
 * millisecond), the sockets and the server's trickle are real (`node:timers/promises`, which the
 * fake clock leaves alone). The assertion is on fake time only. undici's timers
 * (lib/util/timers.js) look up the global `setTimeout` when armed, so they run on the fake clock
 * too; that changes nothing here: its 30 s header/body timeouts are re-armed by every byte, so the
 * cut, which lands at `attemptTimeoutMs` on the fake clock, is the engine's.
 */
import { setTimeout as realDelay } from 'node:timers/promises'
import { createLoopbackCertificates, type LoopbackCertificates } from '@keyless/emulator'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { LOCAL_SOURCES, localProvider, tokenFile } from '../support/local-sources.js'
import { startLocalServer, type LocalServer } from '../support/local-server.js'

const VAULT = 'https://vault.azure.net/.default'
const ATTEMPT_TIMEOUT_MS = 3000
const STEP_MS = 100

let certificates: LoopbackCertificates
let file: Awaited<ReturnType<typeof tokenFile>>
let server: LocalServer | undefined

beforeAll(async () => {
  certificates = await createLoopbackCertificates()
  file = await tokenFile('eyJhbGciOiJub25lIn0.e30.c2ln')
})
beforeEach(() => {
  useEngineFakeTimers()
})
afterEach(async () => {
  vi.useRealTimers()
  await server?.close()
  server = undefined
})
afterAll(async () => {
  await file.remove()
})

describe('security: a trickling endpoint is cut off', () => {
  it.each(LOCAL_SOURCES)('%s: a body sent one byte at a time times out at attemptTimeoutMs', async (source) => {
    let sent = 0
    let closed: Promise<void> | undefined
    server = await startLocalServer(
      (_request, response, raw) => {
        closed = new Promise((resolve) => raw.socket.once('close', () => resolve()))
        response.writeHead(200, { 'content-type': 'application/json' })
        response.flushHeaders()
        void (async () => {
          // JSON allows leading whitespace: every byte is a valid start of a token answer.
          while (!response.destroyed) {
            response.write(' ')
            sent++
            await realDelay(1)
          }
        })()
      },
      { tls: source === 'workload-identity', certificates },
    )
    await using provider = localProvider(source, server, { value: 'SECRET', tokenFilePath: file.path }, { attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, retry: { retries: 0 } })

    const startedAt = Date.now()
    const error = await settle(provider.getToken(VAULT), { stepMs: STEP_MS }).catch((e: unknown) => e)
    const elapsedMs = Date.now() - startedAt

    expect(error).toMatchObject({ code: 'timeout', retryable: true })
    expect(elapsedMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS)
    expect(elapsedMs).toBeLessThanOrEqual(ATTEMPT_TIMEOUT_MS + STEP_MS)
    expect(sent).toBeGreaterThan(0) // cut mid-body, not before the headers
    await closed // the trickling connection is destroyed, so the server stops (else: a test timeout)
    expect(server.requests).toHaveLength(1)
  })

  it('bounds every attempt and the whole call: retried trickles end by the deadline', async () => {
    server = await startLocalServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.flushHeaders()
      void (async () => {
        while (!response.destroyed) {
          response.write(' ')
          await realDelay(1)
        }
      })()
    })
    const deadlineMs = 10_000
    await using provider = localProvider('app-service', server, { value: 'SECRET' }, { attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, deadlineMs, retry: { retries: 10 } })
    const startedAt = Date.now()
    const error = await settle(provider.getToken(VAULT), { stepMs: STEP_MS }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'deadline' })
    expect(Date.now() - startedAt).toBeLessThanOrEqual(deadlineMs + STEP_MS)
    expect(server.requests.length).toBeGreaterThanOrEqual(2)
  })
})
