/**
 * The service: a small notes API on Blob Storage. `PUT /notes/:name` stores the request body as a
 * blob, `GET /notes/:name` reads it back. It is handed a `ContainerClient`; the client's
 * credential (keyless, in server.ts) is all it takes to authenticate, with no key or connection
 * string anywhere.
 *
 * Plain `node:http`, so that nothing but the SDK and keyless is on show.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { RestError, type ContainerClient } from '@azure/storage-blob'
import { isKeylessError } from 'keyless'

/** Largest note accepted: 1 MiB. */
export const MAX_NOTE_BYTES = 1024 * 1024

/** `/notes/<name>`: letters, digits, `.`, `_` and `-`, up to 100 characters. */
const NOTE_PATH = /^\/notes\/([\w.-]{1,100})$/

/**
 * Makes the server (not listening yet).
 *
 * | request | answer |
 * | --- | --- |
 * | `PUT /notes/:name`, a UTF-8 body | 201 `{ name, bytes }` |
 * | `GET /notes/:name` | 200 the text, or 404 |
 * | a token failure (the identity endpoint is down, ...) | 503 `{ error: code }` |
 * | Storage refusing the request (403: the identity lacks the role) | 502 `{ error: 'storage', status }` |
 *
 * @example
 * ```ts
 * const container = new BlobServiceClient(accountUrl, toTokenCredential(auto())).getContainerClient('notes')
 * createNotesServer(container).listen(8080)
 * ```
 */
export function createNotesServer(container: ContainerClient): Server {
  return createServer((req, res) => {
    handle(container, req, res).catch((error: unknown) => sendError(res, error))
  })
}

async function handle(container: ContainerClient, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const name = NOTE_PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname)?.[1]
  if (name === undefined) return sendJson(res, 404, { error: 'not-found' })
  const blob = container.getBlockBlobClient(name)

  if (req.method === 'PUT') {
    const body = await readBody(req)
    if (body === undefined) return sendJson(res, 413, { error: 'too-large', maxBytes: MAX_NOTE_BYTES })
    // The SDK asks the credential for a storage token (scope https://storage.azure.com/.default)
    // on each request; keyless answers from its cache, so only the first one costs a round trip.
    await blob.upload(body, body.length, { blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } })
    return sendJson(res, 201, { name, bytes: body.length })
  }
  if (req.method === 'GET') {
    try {
      const text = (await blob.downloadToBuffer()).toString('utf8')
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return sendJson(res, 404, { error: 'not-found' })
      throw error
    }
    return
  }
  res.setHeader('allow', 'GET, PUT')
  sendJson(res, 405, { error: 'method-not-allowed' })
}

/** The request body, or `undefined` once it passes {@link MAX_NOTE_BYTES}. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_NOTE_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  // A token failure is the platform's (503, try again later); its message names the identity
  // endpoint's host, so only the code goes to the client. Never a token, never a header.
  if (isKeylessError(error)) return sendJson(res, 503, { error: error.code })
  if (error instanceof RestError) return sendJson(res, 502, { error: 'storage', status: error.statusCode })
  console.error(error)
  sendJson(res, 500, { error: 'internal' })
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
