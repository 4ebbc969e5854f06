/**
 * Internal: the certificate authorities an Agent trusts when a source is given extra ones. Not
 * part of the public API.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto'
import tls from 'node:tls'

/** One PEM certificate block; text around blocks (bundle comments) is allowed, as OpenSSL allows it. */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/** Node ≥ 22.15 reports the CAs it trusts by default (bundled roots + NODE_EXTRA_CA_CERTS + system). */
type CaQuery = (type: 'default') => string[]

/**
 * Returns Node's default roots followed by every certificate in `ca`, for a TLS `ca` option.
 *
 * A TLS `ca` option *replaces* Node's default roots (node:tls, `tls.createSecureContext`), so the
 * defaults are listed first to keep public authorities working. On Node versions that have
 * `tls.getCACertificates('default')` that list also holds `NODE_EXTRA_CA_CERTS` and, with
 * `--use-system-ca`, the system store; on Node 20 it is `tls.rootCertificates` (Mozilla's bundle),
 * so CAs from `NODE_EXTRA_CA_CERTS` must be repeated in `ca`.
 *
 * Calls `fail` with the rule broken when `ca` is not a non-empty list of PEM strings or Buffers
 * each holding at least one certificate that parses. The message never quotes the value.
 *
 * @example
 * ```ts
 * const ca = trustedCertificates(readFileSync('/etc/ssl/private-ca.pem'), (rule) => {
 *   throw configError(`the HTTP option \`ca\` must be ${rule}`)
 * })
 * ```
 */
export function trustedCertificates(ca: unknown, fail: (rule: string) => never): string[] {
  const entries: unknown[] = Array.isArray(ca) ? ca : [ca]
  const rule = 'PEM text (a string or Buffer, or a non-empty list of them) holding certificates'
  if (entries.length === 0) return fail(rule)
  const extra: string[] = []
  for (const entry of entries) {
    const text = typeof entry === 'string' ? entry : Buffer.isBuffer(entry) ? entry.toString('utf8') : fail(rule)
    const blocks = text.match(PEM_CERTIFICATE) ?? []
    if (blocks.length === 0) return fail(`${rule}; an entry holds no "BEGIN CERTIFICATE" block`)
    for (const block of blocks) {
      try {
        new X509Certificate(block)
      } catch {
        // The parser's message is dropped: it can quote the input.
        return fail(`${rule}; a certificate block does not parse`)
      }
      extra.push(`${block}\n`)
    }
  }
  const query = (tls as { getCACertificates?: CaQuery }).getCACertificates
  const defaults = typeof query === 'function' ? query('default') : tls.rootCertificates
  return [...defaults, ...extra]
}
