/**
 * Internal: reads a response body with a size cap. Not part of the public API.
 *
 * @module
 */

/** The part of undici's response body this module needs. */
export interface StreamedBody extends AsyncIterable<Uint8Array | string> {
  destroy(error?: Error): unknown
}

/**
 * Reads `body` as UTF-8 text, or resolves `undefined` (after destroying the stream, which closes
 * its socket) as soon as more than `maxBytes` arrived, or at once when `content-length` already
 * says so. A stream error, including the one undici raises when the request's signal aborts,
 * rejects unchanged; the caller classifies it.
 *
 * @example
 * ```ts
 * const text = await readBody(response.body, 65_536, response.headers['content-length'])
 * if (text === undefined) throw tooLarge()
 * ```
 */
export async function readBody(body: StreamedBody, maxBytes: number, contentLength: unknown): Promise<string | undefined> {
  const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.destroy()
    return undefined
  }
  const chunks: Buffer[] = []
  let received = 0
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    received += bytes.byteLength
    if (received > maxBytes) {
      body.destroy()
      return undefined
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks, received).toString('utf8')
}
