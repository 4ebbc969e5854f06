/**
 * Test helper: a certificate authority and a server certificate it signs, made at test time with
 * `node:crypto` alone (ECDSA P-256; a minimal DER writer builds the X.509 v3 structures), so core
 * needs no certificate library. Never use these outside tests.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'

export interface TestCertificate {
  /** PEM of the certificate. */
  readonly cert: string
  /** PEM (PKCS#8) of its private key. */
  readonly key: string
}

export interface TestPki {
  /** A self-signed CA (basicConstraints CA:TRUE). */
  readonly ca: TestCertificate
  /** A server certificate signed by `ca`, for `127.0.0.1` and the given DNS names. */
  readonly server: TestCertificate
}

/** Makes a CA and a server certificate for 127.0.0.1 (plus `dnsNames`), valid from an hour ago for a day. */
export function createTestPki(options: { caName?: string; dnsNames?: readonly string[] } = {}): TestPki {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const caName = options.caName ?? 'keyless test CA'
  const caCert = certificate({
    subject: caName,
    issuer: caName,
    publicKey: caKeys.publicKey,
    signer: caKeys.privateKey,
    extensions: [extension(OID.basicConstraints, true, seq(bool(true))), extension(OID.keyUsage, true, keyCertSignUsage())],
  })
  const altNames = [ip4('127.0.0.1'), ...(options.dnsNames ?? []).map(dnsName)]
  const serverCert = certificate({
    subject: '127.0.0.1',
    issuer: caName,
    publicKey: serverKeys.publicKey,
    signer: caKeys.privateKey,
    extensions: [extension(OID.basicConstraints, false, seq()), extension(OID.subjectAltName, false, seq(...altNames))],
  })
  const pem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString()
  return {
    ca: { cert: toPem(caCert), key: pem(caKeys.privateKey) },
    server: { cert: toPem(serverCert), key: pem(serverKeys.privateKey) },
  }
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
}

interface CertificateSpec {
  readonly subject: string
  readonly issuer: string
  readonly publicKey: KeyObject
  readonly signer: KeyObject
  readonly extensions: readonly Buffer[]
}

function certificate(spec: CertificateSpec): Buffer {
  const algorithm = seq(oid(OID.ecdsaWithSha256))
  const now = Date.now()
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([1]), randomBytes(15)])), // positive, 16 bytes
    algorithm,
    name(spec.issuer),
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...spec.extensions)),
  )
  const signature = sign('sha256', tbs, { key: spec.signer, dsaEncoding: 'der' })
  const der = seq(tbs, algorithm, bitString(signature))
  new X509Certificate(der) // fails loudly here if the encoding is wrong
  return der
}

function toPem(der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`
}

// DER: tag, length, value.
function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), value])
  const bytes: number[] = []
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff)
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), value])
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]))
const integer = (value: Buffer): Buffer => tlv(0x02, value)
const octets = (value: Buffer): Buffer => tlv(0x04, value)
const bitString = (value: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), value]))
const utf8 = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'))
const explicit = (n: number, value: Buffer): Buffer => tlv(0xa0 + n, value)
const dnsName = (value: string): Buffer => tlv(0x82, Buffer.from(value, 'ascii'))
const ip4 = (value: string): Buffer => tlv(0x87, Buffer.from(value.split('.').map(Number)))
const name = (cn: string): Buffer => seq(set(seq(oid(OID.commonName), utf8(cn))))
// keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110, one unused bit.
const keyCertSignUsage = (): Buffer => bitString(Buffer.from([0x06]), 1)

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value))
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f]
    for (let n = arc >>> 7; n > 0; n >>>= 7) chunk.unshift(0x80 | (n & 0x7f))
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}
