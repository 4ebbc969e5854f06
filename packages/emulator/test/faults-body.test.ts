import { request } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FAR_LIFETIME_S, startEmulator } from '../src/index.js'
import type { Emulator, FaultStep } from '../src/index.js'
import { TOKEN_PATH, VALID_QUERY, imdsRequest } from './http-client.js'
import type { ImdsTokenBody } from './http-client.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => emulator.reset())
afterAll(() => emulator.close())

/** What a client saw of one answer, piece by piece: the head, each chunk, and how it ended. */
interface Observed {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly chunks: Buffer[]
  /** `end` for a complete body, else the error code the response or socket raised. */
  readonly ending: Promise<string>
  /** Resolves once at least `bytes` body bytes arrived. */
  received(bytes: number): Promise<void>
  destroy(): void
}

/** Sends one IMDS token request and resolves at the response head, before any body. */
function observe(port: number): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `${TOKEN_PATH}?${VALID_QUERY}`, headers: { Metadata: 'true' }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      const waiters: { bytes: number; done: () => void }[] = []
      const total = (): number => chunks.reduce((sum, chunk) => sum + chunk.length, 0)
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        for (const waiter of waiters.splice(0)) {
          if (total() >= waiter.bytes) waiter.done()
          else waiters.push(waiter)
        }
      })
      const ending = new Promise<string>((done) => {
        res.on('end', () => done('end'))
        res.on('aborted', () => done('aborted'))
        res.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'))
      })
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        chunks,
        ending,
        received: (bytes) => (total() >= bytes ? Promise.resolve() : new Promise<void>((done) => waiters.push({ bytes, done }))),
        destroy: () => req.destroy(),
      })
    })
    req.on('error', reject)
    req.end()
  })
}

const bodyOf = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('utf8')

describe('faults: expires-far', () => {
  it('answers a token that lives 100 years by default', async () => {
    emulator.faults.enqueue({ kind: 'expires-far' })
    const body = (await imdsRequest(emulator.port)).json<ImdsTokenBody>()
    expect(DEFAULT_FAR_LIFETIME_S).toBe(100 * 365.25 * 86_400)
    expect(Number(body.expires_in)).toBe(DEFAULT_FAR_LIFETIME_S)
    expect(Number(body.expires_on) - Date.now() / 1000).toBeGreaterThan(DEFAULT_FAR_LIFETIME_S - 5)
    const claims = await emulator.verify(body.access_token)
    expect(claims.exp).toBe(Number(body.expires_on))
  })

  it('answers a token that expires on 9999-12-31 when asked for that lifetime', async () => {
    const lifetimeS = Math.floor(Date.UTC(9999, 11, 31) / 1000) - Math.floor(Date.now() / 1000)
    emulator.faults.enqueue({ kind: 'expires-far', lifetimeS })
    const body = (await imdsRequest(emulator.port)).json<ImdsTokenBody>()
    expect(new Date(Number(body.expires_on) * 1000).getUTCFullYear()).toBe(9999)
  })
})

describe('faults: reset-mid-body', () => {
  it('sends the head with the full Content-Length and half the body, then closes the connection', async () => {
    emulator.faults.enqueue({ kind: 'reset-mid-body' })
    const seen = await observe(emulator.port)
    expect(seen.status).toBe(200)
    const length = Number(seen.headers['content-length'])
    expect(length).toBeGreaterThan(500)
    expect(await seen.ending).not.toBe('end')
    expect(bodyOf(seen.chunks).length).toBe(Math.floor(length / 2))
    expect(emulator.requests[0]).toMatchObject({ status: 200, fault: 'reset-mid-body' })
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('sends exactly `bytes` of the body when given', async () => {
    emulator.faults.enqueue({ kind: 'reset-mid-body', bytes: 10 })
    const seen = await observe(emulator.port)
    await seen.ending
    expect(bodyOf(seen.chunks)).toBe('{"access_t')
  })
})

describe('faults: hang-mid-body', () => {
  it('sends the head and part of the body, then nothing until close() ends it', async () => {
    const local = await startEmulator()
    local.faults.enqueue({ kind: 'hang-mid-body', bytes: 100 })
    const seen = await observe(local.port)
    await seen.received(100)
    expect(Number(seen.headers['content-length'])).toBeGreaterThan(100)
    let ended = false
    void seen.ending.then(() => (ended = true))
    // Another request goes through meanwhile: the hang holds only its own connection.
    expect((await imdsRequest(local.port)).status).toBe(200)
    expect(ended).toBe(false)
    expect(bodyOf(seen.chunks).length).toBe(100)
    await local.close()
    expect(await seen.ending).not.toBe('end')
  })
})

describe('faults: trickle', () => {
  it('sends the whole token body in many small chunks', async () => {
    emulator.faults.enqueue({ kind: 'trickle', intervalMs: 1, bytes: 64 })
    const seen = await observe(emulator.port)
    expect(await seen.ending).toBe('end')
    const text = bodyOf(seen.chunks)
    expect(text.length).toBe(Number(seen.headers['content-length']))
    expect(seen.chunks.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 64) / 2)
    expect(await emulator.verify((JSON.parse(text) as ImdsTokenBody).access_token)).toBeDefined()
  })

  it('keeps trickling on the real clock while the test fakes timers', async () => {
    vi.useFakeTimers()
    try {
      emulator.faults.enqueue({ kind: 'trickle', intervalMs: 1, bytes: 256 })
      const seen = await observe(emulator.port)
      expect(await seen.ending).toBe('end')
    } finally {
      vi.useRealTimers()
    }
  })

  it('sends one byte at a time by default and stops when the client leaves', async () => {
    emulator.faults.enqueue({ kind: 'trickle', intervalMs: 5 })
    const seen = await observe(emulator.port)
    await seen.received(3)
    expect(seen.chunks.every((chunk) => chunk.length <= 2)).toBe(true)
    seen.destroy()
    await seen.ending
    // The emulator notices the client is gone and answers the next request normally.
    expect((await imdsRequest(emulator.port)).status).toBe(200)
  })

  it('lets close() end a slow trickle', async () => {
    const local = await startEmulator()
    local.faults.enqueue({ kind: 'trickle', intervalMs: 60_000 })
    const seen = await observe(local.port)
    await seen.received(1)
    await local.close()
    expect(await seen.ending).not.toBe('end')
  })
})

describe('faults: validation of the body steps', () => {
  it.each<[string, unknown]>([
    ['a zero lifetimeS', { kind: 'expires-far', lifetimeS: 0 }],
    ['a lifetimeS past 8000 years', { kind: 'expires-far', lifetimeS: 8001 * 31_557_600 }],
    ['negative mid-body bytes', { kind: 'reset-mid-body', bytes: -1 }],
    ['fractional mid-body bytes', { kind: 'hang-mid-body', bytes: 1.5 }],
    ['a zero trickle interval', { kind: 'trickle', intervalMs: 0 }],
    ['zero trickle bytes', { kind: 'trickle', bytes: 0 }],
    ['a string trickle interval', { kind: 'trickle', intervalMs: '5' }],
  ])('throws ERR_EMULATOR_FAULT for %s', (_label, step) => {
    expect(() => emulator.faults.enqueue(step as FaultStep)).toThrow(expect.objectContaining({ code: 'ERR_EMULATOR_FAULT' }))
  })

  it('accepts the new steps over the admin endpoint too', async () => {
    const res = await fetch(`${emulator.url}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enqueue: [{ kind: 'trickle', intervalMs: 1, bytes: 512 }, { kind: 'expires-far' }] }),
    })
    expect(res.status).toBeLessThan(300)
    expect(emulator.faults.pending).toBe(2)
  })
})
