import { X509Certificate, createPrivateKey } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createLoopbackCertificates } from '../src/index.js'
import { httpsRequest } from './https-client.js'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  if (server?.listening) await new Promise<void>((resolve) => server?.close(() => resolve()))
  server = undefined
})

async function serve(certPem: string, keyPem: string): Promise<string> {
  server = createServer({ cert: certPem, key: keyPem }, (_req, res) => res.end('ok'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

describe('createLoopbackCertificates()', () => {
  it('returns a CA and a server certificate for 127.0.0.1 and localhost that the CA signed', async () => {
    const { caPem, certPem, keyPem } = await createLoopbackCertificates()
    const ca = new X509Certificate(caPem)
    const leaf = new X509Certificate(certPem)
    expect(ca.ca).toBe(true)
    expect(ca.verify(ca.publicKey)).toBe(true)
    expect(leaf.ca).toBe(false)
    expect(leaf.checkIssued(ca)).toBe(true)
    expect(leaf.verify(ca.publicKey)).toBe(true)
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(leaf.checkHost('localhost')).toBe('localhost')
    expect(leaf.checkHost('example.com')).toBeUndefined()
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']) // extended key usage: server auth only
    expect(leaf.checkPrivateKey(createPrivateKey(keyPem))).toBe(true)
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
  })

  it('makes new keys on every call', async () => {
    const [a, b] = await Promise.all([createLoopbackCertificates(), createLoopbackCertificates()])
    expect(a.keyPem).not.toBe(b.keyPem)
    expect(new X509Certificate(a.certPem).verify(new X509Certificate(b.caPem).publicKey)).toBe(false)
  })

  it('lets an HTTPS server on 127.0.0.1 be trusted through its CA, and only through it', async () => {
    const { caPem, certPem, keyPem } = await createLoopbackCertificates()
    const url = await serve(certPem, keyPem)
    expect(await httpsRequest(url, { ca: caPem })).toMatchObject({ status: 200, text: 'ok' })
    await expect(httpsRequest(url)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    const other = await createLoopbackCertificates()
    await expect(httpsRequest(url, { ca: other.caPem })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
  })
})
