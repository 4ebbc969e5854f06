/**
 * A TCP relay on a fixed 127.0.0.1 port in front of another loopback port, that can stop
 * listening and listen again on the same port: "the endpoint restarts" for an HTTPS server
 * whose certificate authority and federated token must stay the same (a new emulator would
 * make new ones, which a real Entra restart does not).
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface TcpRelay {
  readonly port: number
  /** Stops listening and destroys every relayed connection: the port refuses connections. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
}

/** Relays 127.0.0.1:`port` (0 = a free one) to 127.0.0.1:`target`, byte for byte, resets included. */
export async function startTcpRelay(target: number, port = 0): Promise<TcpRelay> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  let server: Server | undefined
  const listen = async (on: number): Promise<number> => {
    const listening = createServer((client) => {
      const upstream = connect(target, '127.0.0.1')
      track(client)
      track(upstream)
      client.pipe(upstream)
      upstream.pipe(client)
      // A reset on one side is a reset on the other, so the client sees what the server did.
      upstream.on('error', () => client.resetAndDestroy())
      client.on('error', () => upstream.resetAndDestroy())
      client.on('close', () => upstream.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen({ port: on, host: '127.0.0.1', exclusive: true }, () => resolve())
    })
    server = listening
    const address = listening.address()
    if (address === null || typeof address === 'string') throw new Error('relay: no TCP address')
    return address.port
  }
  const bound = await listen(port)
  return {
    port: bound,
    async stop() {
      const current = server
      server = undefined
      if (current === undefined) return
      const closed = new Promise<void>((resolve) => current.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
    async start() {
      if (server === undefined) await listen(bound)
    },
  }
}
