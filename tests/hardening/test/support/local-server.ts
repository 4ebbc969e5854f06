/**
 * A `node:http` (or `node:https`) server on 127.0.0.1 that records every connection and request,
 * for the properties the emulator cannot script: redirects, a second host, a proxy, a trickle.
 */
import { createServer as createHttpServer, type IncomingMessage, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { createLoopbackCertificates, type LoopbackCertificates } from '@keyless/emulator'

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface LocalServer {
  /** `http(s)://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly port: number
  /** The CA that signed the certificate of an https server. */
  readonly caPem: string | undefined
  /** Every request, in arrival order, with its full body. */
  readonly requests: RecordedRequest[]
  /** TCP connections accepted so far. */
  connections(): number
  /** Sockets still open. */
  openSockets(): number
  /** Destroys every socket and stops listening. */
  close(): Promise<void>
}

export type Handler = (request: RecordedRequest, response: ServerResponse, raw: IncomingMessage) => void

/** Starts a server on 127.0.0.1:0 that reads each request body, records it, then calls `handler`. */
export async function startLocalServer(handler: Handler, options: { tls?: boolean; certificates?: LoopbackCertificates } = {}): Promise<LocalServer> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let connections = 0
  const listener = (raw: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = []
    raw.on('data', (chunk: Buffer) => chunks.push(chunk))
    raw.on('end', () => {
      const request = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(request)
      handler(request, response, raw)
    })
  }
  let caPem: string | undefined
  let server: Server
  if (options.tls === true) {
    const certificates = options.certificates ?? (await createLoopbackCertificates())
    caPem = certificates.caPem
    server = createHttpsServer({ cert: certificates.certPem, key: certificates.keyPem }, listener)
  } else {
    server = createHttpServer(listener)
  }
  server.on(options.tls === true ? 'secureConnection' : 'connection', () => connections++)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === true ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    caPem,
    requests,
    connections: () => connections,
    openSockets: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

