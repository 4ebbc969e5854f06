/**
 * A documented limit, not a property: code running in the same process can read the secrets
 * keyless sends. undici 7 publishes every request on `node:diagnostics_channel`, a process-wide
 * bus: `undici:request:create` carries the request (its `headers` array holds each header value,
 * its `body` the form with `client_assertion`) and `undici:client:sendHeaders` carries the raw
 * header block as written to the socket; `undici:request:bodyChunkReceived` carries each chunk of
 * the response, the access token included. SECURITY.md cites this test; if undici stops exposing
 * them, this test fails and SECURITY.md must be updated.
 */
import diagnostics from 'node:diagnostics_channel'
import { startEmulator } from '@keyless/emulator'
import { appService } from 'keyless'
import { describe, expect, it } from 'vitest'

const HEADER = 'RECOGNISABLE-OBSERVED-HEADER-6e0f'

describe('known limit: in-process subscribers to undici\'s diagnostics channels see request headers', () => {
  it('shows the App Service header on undici:client:sendHeaders and undici:request:create, the token on undici:request:bodyChunkReceived', async () => {
    await using emulator = await startEmulator({ appServiceHeader: HEADER })
    const raw: string[] = []
    const created: unknown[] = []
    const onHeaders = (message: unknown): void => void raw.push((message as { headers: string }).headers)
    const onCreate = (message: unknown): void => void created.push((message as { request: { headers: unknown } }).request.headers)
    const received: string[] = []
    const onChunk = (message: unknown): void => void received.push(Buffer.from((message as { chunk: Uint8Array }).chunk).toString('utf8'))
    diagnostics.subscribe('undici:request:bodyChunkReceived', onChunk)
    let token = ''
    diagnostics.subscribe('undici:client:sendHeaders', onHeaders)
    diagnostics.subscribe('undici:request:create', onCreate)
    try {
      await using provider = appService({ endpoint: emulator.appService.endpoint, header: HEADER })
      token = (await provider.getToken('https://vault.azure.net/.default')).token
    } finally {
      diagnostics.unsubscribe('undici:request:bodyChunkReceived', onChunk)
      diagnostics.unsubscribe('undici:client:sendHeaders', onHeaders)
      diagnostics.unsubscribe('undici:request:create', onCreate)
    }
    expect(raw.some((block) => block.toLowerCase().includes(`x-identity-header: ${HEADER.toLowerCase()}`))).toBe(true)
    expect(JSON.stringify(created)).toContain(HEADER)
    expect(token.length).toBeGreaterThan(100)
    expect(received.join('')).toContain(token)
  })
})
