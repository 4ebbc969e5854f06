/**
 * Writes complete HTTP answers.
 *
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** Sends `body` as JSON with `Content-Length`; does nothing if the socket is already gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers)
}

/** Sends a text body with the given content type; does nothing if the socket is already gone. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent || res.destroyed) return
  const payload = Buffer.from(text, 'utf8')
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': payload.length })
  res.end(payload)
}
