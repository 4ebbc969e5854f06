/**
 * An HTTP server bound to 127.0.0.1 only, whose `close()` ends every socket, hung ones included.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { Socket } from 'node:net'
import { EmulatorError } from '../emulator-error.js'

/** The one loopback address the emulator ever binds. */
export const LOOPBACK_HOST = '127.0.0.1'

/** A listening loopback server; internal. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** Stops listening, destroys every socket and resolves once their handles are closed. Idempotent. */
  close(): Promise<void>
}

/** Listens on `127.0.0.1:port` (0 = any free port). Rejects with `ERR_EMULATOR_LISTEN`. */
export async function listenLoopback(port: number, handler: RequestListener): Promise<LoopbackServer> {
  const server = createServer(handler)
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // A client error (bad request line, reset mid-request) must not reach 'uncaughtException'.
  server.on('clientError', (_error, socket) => socket.destroy())

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
    url: `http://${LOOPBACK_HOST}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const socketsClosed = [...sockets].map(
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
