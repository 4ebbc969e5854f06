/**
 * An HTTP or HTTPS server bound to 127.0.0.1 only, whose `close()` ends every socket, hung ones
 * included.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener, Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { Socket } from 'node:net'
import { EmulatorError } from '../emulator-error.js'

/** The one loopback address the emulator ever binds. */
export const LOOPBACK_HOST = '127.0.0.1'

/** PEM key and certificate chain that turn the server into HTTPS. */
export interface LoopbackTls {
  readonly key: string
  readonly cert: string
}

/** A listening loopback server; internal. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** Stops listening, destroys every socket and resolves once their handles are closed. Idempotent. */
  close(): Promise<void>
}

/**
 * Ends a request's connection with a TCP reset (the client sees `ECONNRESET`). A TLS socket
 * cannot be reset itself (`ERR_INVALID_HANDLE_TYPE`), so its TCP socket is, found by the
 * client's port: on one loopback server two live connections never share it.
 */
export type ResetConnection = (socket: Socket) => void

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`
}

/**
 * Listens on `127.0.0.1:port` (0 = any free port), over TLS when `tls` is given; `handler`
 * receives a `reset` to end a connection with a TCP reset. Rejects with `ERR_EMULATOR_LISTEN`.
 */
export async function listenLoopback(
  port: number,
  handler: (reset: ResetConnection) => RequestListener,
  tls?: LoopbackTls,
): Promise<LoopbackServer> {
  const tcpSockets = new Map<string, Socket>()
  const reset: ResetConnection = (socket) => {
    const tcp = tcpSockets.get(keyOf(socket)) ?? socket
    if (!tcp.destroyed) tcp.resetAndDestroy()
  }
  const listener = handler(reset)
  const server: Server = tls === undefined ? createServer(listener) : createTlsServer({ key: tls.key, cert: tls.cert }, listener)
  server.on('connection', (socket: Socket) => {
    const key = keyOf(socket)
    tcpSockets.set(key, socket)
    socket.once('close', () => {
      if (tcpSockets.get(key) === socket) tcpSockets.delete(key)
    })
  })
  // A client error (bad request line, reset mid-request, a client that distrusts the
  // certificate) must not reach 'uncaughtException'.
  server.on('clientError', (_error: Error, socket: Socket) => socket.destroy())
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy())

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(new EmulatorError('ERR_EMULATOR_LISTEN', `cannot listen on ${LOOPBACK_HOST}:${port}`, { cause: error }))
    }
    server.once('error', onError)
    server.listen({ port, host: LOOPBACK_HOST, exclusive: true }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new EmulatorError('ERR_EMULATOR_LISTEN', 'no TCP address')

  let closing: Promise<void> | undefined
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${LOOPBACK_HOST}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const sockets = [...tcpSockets.values()]
        const socketsClosed = sockets.map(
          (socket) => new Promise<void>((done) => (socket.closed ? done() : socket.once('close', () => done()))),
        )
        const serverClosed = new Promise<void>((done) => server.close(() => done()))
        for (const socket of sockets) socket.destroy()
        void Promise.all([serverClosed, ...socketsClosed]).then(() => resolve())
      })
      return closing
    },
  }
}
