/**
 * Refuses every non-loopback socket in the process that imports it: `net.Socket.prototype.connect`
 * is wrapped so a connect to any host other than 127.x.x.x, ::1 or localhost destroys the socket
 * with an error before any packet leaves. Every benchmark process imports this module first.
 *
 * @module
 */
import net from 'node:net'

/** Code of the error a refused socket is destroyed with. */
export const LOOPBACK_GUARD_CODE = 'ERR_BENCH_NON_LOOPBACK'

const GUARDED = Symbol.for('keyless.bench.loopbackGuard')

/** TCP (and TLS) connections this process opened: every allowed `connect` to a host, IPC paths excluded. */
let tcpConnects = 0

/**
 * How many TCP connections this process has opened since it started (the guard counts every
 * `net.Socket.prototype.connect` it lets through to a host; TLS sockets connect through it too).
 * The cold-burst scenario reads it before and after the burst: its only sockets then go to the emulator.
 */
export function tcpConnectCount(): number {
  return tcpConnects
}

/** Whether `host` names the loopback interface: 127.0.0.0/8, ::1 (also v4-mapped) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  if (h === 'localhost') return true
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

interface ConnectTarget {
  host?: string | undefined
  path?: string | undefined
}

/** The host a `connect(...)` call aims at, or `undefined` for a local (IPC) path. */
function targetOf(args: unknown[]): string | undefined {
  let first = args[0]
  // net.connect() passes its already-normalised [options, callback] array as the only argument.
  if (Array.isArray(first)) first = first[0]
  if (first !== null && typeof first === 'object') {
    const options = first as ConnectTarget
    if (typeof options.path === 'string' && options.path !== '') return undefined
    return options.host ?? 'localhost'
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined // connect(path, cb): a local socket
  return typeof args[1] === 'string' ? args[1] : 'localhost'
}

/** Wraps `net.Socket.prototype.connect` (once per process). Returns whether it was installed now. */
export function installLoopbackGuard(): boolean {
  const proto = net.Socket.prototype as net.Socket & { [GUARDED]?: true }
  if (proto[GUARDED] === true) return false
  const original = proto.connect
  const guarded = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const host = targetOf(args)
    if (host !== undefined && !isLoopbackHost(host)) {
      const error = Object.assign(new Error(`bench loopback guard: refused a socket to ${host}; the benchmark talks to 127.0.0.1 only`), {
        code: LOOPBACK_GUARD_CODE,
      })
      this.destroy(error)
      return this
    }
    if (host !== undefined) tcpConnects++
    return (original as (...a: unknown[]) => net.Socket).apply(this, args)
  }
  proto.connect = guarded as typeof proto.connect
  Object.defineProperty(proto, GUARDED, { value: true })
  return true
}

/** Whether this process's sockets are guarded. */
export function loopbackGuardActive(): boolean {
  return (net.Socket.prototype as net.Socket & { [GUARDED]?: true })[GUARDED] === true
}

installLoopbackGuard()
