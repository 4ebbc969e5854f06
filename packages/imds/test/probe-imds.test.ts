import net from 'node:net'
import { startEmulator } from '@keyless/emulator'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { probeImds } from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

afterEach(() => {
  vi.useRealTimers()
})

describe('probeImds()', () => {
  it('says available when IMDS answers, even with an error status, and sends no Metadata header', async () => {
    await using emulator = await startEmulator()
    await expect(probeImds({ endpoint: emulator.url })).resolves.toBe(true)
    expect(emulator.requests[0]?.status).toBe(400) // bad_request_102: the probe carries no Metadata header
    expect(emulator.counters.tokensMinted).toBe(0)
  })

  it('says unavailable when nothing listens', async () => {
    const server = net.createServer()
    const port = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    await expect(probeImds({ endpoint: `http://127.0.0.1:${port}` })).resolves.toBe(false)
  })

  it('says unavailable when the endpoint accepts but stays silent past the timeout', async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((socket) => sockets.push(socket)) // never answers
    const port = await listen(server)
    useEngineFakeTimers()
    try {
      const result = probeImds({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1000 })
      await expect(settle(result, { stepMs: 50 })).resolves.toBe(false)
    } finally {
      vi.useRealTimers()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
