/**
 * Vitest setup file for every package: refuses any TCP connection to an address that is not
 * loopback, before a packet leaves the process. 169.254.169.254 (IMDS) is the case that matters.
 * Host names other than `localhost` are refused too, so no DNS answer can route around the guard.
 */
import net from 'node:net'

const original = net.Socket.prototype.connect

export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7))
  return net.isIPv4(h) && h.startsWith('127.')
}

function targetHost(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0]
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: unknown; path?: unknown }
    if (typeof o.path === 'string') return undefined // unix socket / named pipe: local by nature
    return typeof o.host === 'string' ? o.host : 'localhost'
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost'
  }
  return undefined // a path string
}

export class NonLoopbackConnectionError extends Error {
  readonly code = 'ERR_TEST_NON_LOOPBACK'
  constructor(host: string) {
    super(`test guard: refused a connection to non-loopback host ${host}`)
  }
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args)
  if (host !== undefined && !isLoopbackHost(host)) {
    const error = new NonLoopbackConnectionError(host)
    process.nextTick(() => this.destroy(error))
    return this
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect
