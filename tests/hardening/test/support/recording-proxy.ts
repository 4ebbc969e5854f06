/**
 * A stand-in for a corporate proxy on 127.0.0.1: it records the first line of every connection
 * (`CONNECT host:443 HTTP/1.1` or `GET http://host/... HTTP/1.1`) and answers 502, so a request
 * that went through it fails loudly and one that did not leaves it empty.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net'

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`: the value for `HTTP_PROXY` / `HTTPS_PROXY`. */
  readonly url: string
  /** The request line of every connection made to the proxy. */
  readonly seen: string[]
  /** Every byte the proxy received, as latin1. */
  readonly received: () => string
  /** Connections accepted, whether or not a request line arrived. */
  connections(): number
  close(): Promise<void>
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const seen: string[] = []
  let received = ''
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.once('data', (head: Buffer) => {
      seen.push(head.toString('latin1').split('\r\n')[0] ?? '')
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    received: () => received,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
