/**
 * Which endpoints must never go through a proxy.
 *
 * @module
 */
import { isIPv4 } from 'node:net'

/** IMDS's link-local address: the VM's metadata service, never App Service's identity endpoint. */
export const IMDS_HOST = '169.254.169.254'

/**
 * Tells whether requests to `hostname` must connect directly, whatever `HTTP_PROXY`,
 * `HTTPS_PROXY` or `NO_PROXY` say.
 *
 * True for loopback (`127.0.0.0/8`, `::1`, its IPv4-mapped forms, `localhost` and names under
 * `.localhost`) and for IPv4 link-local addresses (`169.254.0.0/16`, IMDS's `169.254.169.254`
 * among them): IMDS "is not intended to be used behind a proxy ... you must bypass proxies even if
 * none is known" (reference/protocols.md §1.7), App Service's identity endpoint on Linux is
 * link-local too, and a proxy could not reach this host's loopback or link anyway. It would only
 * see the platform's secret header. Accepts a `URL.hostname`, with or without IPv6 brackets;
 * case-insensitive. Pure: reads no environment.
 *
 * @example
 * ```ts
 * isDirectHost(new URL('http://169.254.169.254/metadata/identity/oauth2/token').hostname) // true
 * isDirectHost('login.microsoftonline.com') // false
 * ```
 */
export function isDirectHost(hostname: string): boolean {
  const host = normalizeHost(hostname)
  return host === 'localhost' || host.endsWith('.localhost') || isLinkLocalIPv4(hostname) || isLoopbackHost(hostname)
}

/**
 * Tells whether `hostname` is an IPv4 link-local address (`169.254.0.0/16`), written as one (no
 * name, so no DNS answer can move it). Only this host's own link answers there: IMDS at
 * `169.254.169.254`, and App Service's identity endpoint on Linux, Functions and Container Apps
 * (`IDENTITY_ENDPOINT` such as `http://169.254.129.2:8081/msi/token`).
 *
 * @example
 * ```ts
 * isLinkLocalIPv4('169.254.129.2') // true
 * isLinkLocalIPv4('10.0.0.4') // false
 * ```
 */
export function isLinkLocalIPv4(hostname: string): boolean {
  const host = normalizeHost(hostname)
  return isIPv4(host) && host.startsWith('169.254.')
}

/**
 * Tells whether `hostname` is this machine's loopback: `127.0.0.0/8`, `::1`, their IPv4-mapped
 * forms and `localhost` (not `localhost.`). Sources that send a secret over plain http allow only these (IMDS's
 * link-local address is not loopback). Names under `.localhost` are not: Node resolves them with
 * the system resolver, which (glibc's `hosts: files dns`) asks DNS, so a DNS answer could send the
 * secret anywhere. `isDirectHost` still keeps them off proxies.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('169.254.169.254') // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  // `localhost` as written: the system resolver answers it from /etc/hosts. `localhost.` (fully
  // qualified) is not in /etc/hosts on common systems, so it goes to DNS like any other name.
  if (hostname.toLowerCase() === 'localhost') return true
  const host = normalizeHost(hostname)
  if (isIPv4(host)) return host.startsWith('127.')
  return isLoopbackIPv6(host)
}

function normalizeHost(hostname: string): string {
  let host = hostname.toLowerCase()
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host.endsWith('.')) host = host.slice(0, -1)
  return host
}

function isLoopbackIPv6(host: string): boolean {
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true
  if (!host.startsWith('::ffff:')) return false
  const mapped = host.slice('::ffff:'.length)
  // WHATWG URL serialises ::ffff:127.0.0.1 as ::ffff:7f00:1, so both spellings occur.
  if (isIPv4(mapped)) return mapped.startsWith('127.')
  return /^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(mapped)
}
