/**
 * Loopback guard for the Azurite child process, loaded with `node --import`: refuses any TCP
 * connection to an address that is not loopback, before a packet leaves the process, and reports
 * each refusal on stderr (one `keyless-loopback-guard: refused <host>` line) so the parent can
 * assert there were none. Plain JS because the child runs Azurite's JS as is.
 *
 * The logic is a copy of /test/loopback-only.ts, the vitest setup file that guards the test process
 * itself; keep the two in step. Like it, it covers `net.Socket#connect` (so `net`, `tls`, `http`,
 * `https` and undici's `fetch`), not UDP: a direct `dns.lookup` of a public name is not refused
 * here. `--disableTelemetry` stays the first defence (reference/azurite.md §7.1).
 */
import net from 'node:net'

const PREFIX = 'keyless-loopback-guard: refused '
const original = net.Socket.prototype.connect

function isLoopbackHost(host) {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7))
  return net.isIPv4(h) && h.startsWith('127.')
}

function targetHost(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (typeof first === 'object' && first !== null) {
    if (typeof first.path === 'string') return undefined // unix socket / named pipe: local by nature
    return typeof first.host === 'string' ? first.host : 'localhost'
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost'
  }
  return undefined // a path string
}

class NonLoopbackConnectionError extends Error {
  code = 'ERR_TEST_NON_LOOPBACK'
  constructor(host) {
    super(`test guard: refused a connection to non-loopback host ${host}`)
  }
}

net.Socket.prototype.connect = function guardedConnect(...args) {
  const host = targetHost(args)
  if (host !== undefined && !isLoopbackHost(host)) {
    process.stderr.write(`${PREFIX}${host}\n`)
    const error = new NonLoopbackConnectionError(host)
    process.nextTick(() => this.destroy(error))
    return this
  }
  return original.apply(this, args)
}
