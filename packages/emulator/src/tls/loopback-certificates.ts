/**
 * A certificate authority and a server certificate for 127.0.0.1, generated in memory: at the
 * emulator's start for its HTTPS server, and by tests that start an HTTPS server of their own.
 *
 * @module
 */
import { webcrypto } from 'node:crypto'
import { loadX509 } from './load-x509.js'

/**
 * PEM material for a TLS server on 127.0.0.1. The emulator writes only `caPem` to disk (its
 * `entra.caFile`); a caller that needs the key on disk (a server that reads `--key` from a file)
 * owns that file: mode 0600, removed after use.
 */
export interface LoopbackCertificates {
  /** The CA certificate (public), to trust with `NODE_EXTRA_CA_CERTS` or a client's `ca` option. */
  readonly caPem: string
  /** The server certificate, signed by the CA, for IP 127.0.0.1 and DNS localhost. */
  readonly certPem: string
  /** The server's PKCS#8 private key (EC P-256). A secret: never log it. */
  readonly keyPem: string
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

// A fixed window rather than one around "now": the emulator's clock may be a test's fake one,
// while the TLS client checks validity against the real clock. The key lives only in memory.
const NOT_BEFORE = new Date(Date.UTC(2020, 0, 1))
const NOT_AFTER = new Date(Date.UTC(2049, 11, 31))

function serialNumber(): string {
  // Positive (high bit clear) and 16 bytes, as RFC 5280 §4.1.2.2 asks.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01
  return Buffer.from(bytes).toString('hex')
}

/**
 * Generates, in memory, an EC P-256 CA and a server certificate it signs (SAN `IP:127.0.0.1`,
 * `DNS:localhost`; server auth only), for a loopback HTTPS server a test starts itself. Every call
 * makes new keys; nothing is written to disk. The validity window is fixed
 * (2020-01-01 to 2049-12-31), so a test's fake clock cannot make the certificates look expired.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:https'
 * import { createLoopbackCertificates } from '@keyless/emulator'
 *
 * const { caPem, certPem, keyPem } = await createLoopbackCertificates()
 * const server = createServer({ cert: certPem, key: keyPem }, (req, res) => res.end('ok')).listen(0, '127.0.0.1')
 * // Clients trust caPem: a `ca` option, or NODE_EXTRA_CA_CERTS for a child process.
 * ```
 */
export async function createLoopbackCertificates(): Promise<LoopbackCertificates> {
  const x509 = await loadX509()
  // The library's own `Crypto` type is the DOM one; Node's WebCrypto implements it.
  const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1]
  const caKeys = (await webcrypto.subtle.generateKey(EC_P256, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: 'CN=keyless emulator local CA, O=keyless',
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      keys: caKeys,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  )
  const serverKeys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const server = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: 'CN=localhost, O=keyless',
      issuer: ca.subject,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  )
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)
  return {
    caPem: ca.toString('pem'),
    certPem: server.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  }
}
