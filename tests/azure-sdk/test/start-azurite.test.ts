import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { request } from 'node:https'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { AzuriteStartError, GUARD_REFUSAL_PREFIX, LOOPBACK_GUARD_PATH, startAzurite, type Azurite } from '../src/index.js'

const START_HOOK_MS = 60_000 // a cold Azurite start takes about 1 s, several on a busy 2-core runner

let azurite: Azurite | undefined
afterEach(async () => {
  await azurite?.stop()
  azurite = undefined
})

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Status of `GET /` over HTTPS, trusting `ca` if given, else Node's default store only. */
function statusOf(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { ...(ca === undefined ? {} : { ca }), agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
      .on('error', reject)
      .end()
  })
}

describe('startAzurite()', () => {
  it('serves HTTPS on 127.0.0.1 with a certificate its CA signed, key file 0600', { timeout: START_HOOK_MS }, async () => {
    azurite = await startAzurite()
    expect(azurite.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(azurite.accountUrl).toBe(`${azurite.url}/devstoreaccount1`)
    expect((await stat(`${azurite.dir}/key.pem`)).mode & 0o777).toBe(0o600)
    // Any HTTP answer proves the TLS handshake succeeded against caPem alone (no bearer token: 4xx).
    expect(await statusOf(`${azurite.url}/`, azurite.caPem)).toBeGreaterThanOrEqual(400)
    await expect(statusOf(`${azurite.url}/`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
  })

  it('stop() ends the child and removes its directory; a second stop() is a no-op', { timeout: START_HOOK_MS }, async () => {
    const started = await startAzurite()
    azurite = started
    expect(isRunning(started.pid)).toBe(true)
    await started.stop()
    expect(isRunning(started.pid)).toBe(false)
    expect(existsSync(started.dir)).toBe(false)
    await expect(started.stop()).resolves.toBeUndefined()
    expect(started.refusedHosts).toEqual([])
  })

  it('rejects with ERR_AZURITE_START_TIMEOUT, leaving no process or directory behind', { timeout: START_HOOK_MS }, async () => {
    const error: unknown = await startAzurite({ startTimeoutMs: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AzuriteStartError)
    expect(error).toMatchObject({ code: 'ERR_AZURITE_START_TIMEOUT' })
    const { pid, dir } = error as AzuriteStartError
    expect(pid).toBeTypeOf('number')
    expect(isRunning(pid ?? 0)).toBe(false)
    expect(existsSync(dir)).toBe(false)
  })
})

describe('loopback-guard.mjs (what the Azurite child runs under)', () => {
  it('refuses a non-loopback connection before it is made, reports it on stderr, and lets loopback through', async () => {
    // Checks the guard is installed before trying anything, so a broken guard fails here without
    // a packet leaving the machine. 192.0.2.1 is TEST-NET-1 (RFC 5737).
    const script = `
      const net = require('node:net')
      if (net.Socket.prototype.connect.name !== 'guardedConnect') { console.log('{"unguarded":true}'); process.exit(2) }
      const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1', () => {
        const local = net.connect(server.address().port, '127.0.0.1')
        local.on('connect', () => {
          local.destroy(); server.close()
          net.connect(443, '192.0.2.1').on('error', (e) => console.log(JSON.stringify({ loopback: 'connected', remote: e.code })))
        })
      })`
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', pathToFileURL(LOOPBACK_GUARD_PATH).href, '-e', script], {
      env: {},
      timeout: 10_000,
    })
    expect(JSON.parse(stdout)).toEqual({ loopback: 'connected', remote: 'ERR_TEST_NON_LOOPBACK' })
    expect(stderr).toBe(`${GUARD_REFUSAL_PREFIX}192.0.2.1\n`)
  })
})
