/**
 * Reads an `application/x-www-form-urlencoded` request body with a size limit.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

/** Largest token request body accepted; MSAL's are under 4 KiB. */
export const MAX_FORM_BYTES = 65_536

/** The outcome of reading a form body. */
export type FormResult =
  | { readonly ok: true; readonly form: URLSearchParams }
  | { readonly ok: false; readonly reason: 'content-type' | 'too-large' | 'aborted' }

/** Whether the request declares a form body (`charset` and other parameters allowed). */
function isForm(req: IncomingMessage): boolean {
  const type = req.headers['content-type']
  return type !== undefined && type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded'
}

/**
 * Reads and parses the body; the body itself is never kept beyond the parsed form. An oversized
 * body is drained rather than destroyed, so the 400 can still be sent.
 */
export function readForm(req: IncomingMessage): Promise<FormResult> {
  return new Promise((resolve) => {
    const form = isForm(req)
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (form && size <= MAX_FORM_BYTES) chunks.push(chunk)
    })
    req.once('end', () => {
      if (!form) resolve({ ok: false, reason: 'content-type' })
      else if (size > MAX_FORM_BYTES) resolve({ ok: false, reason: 'too-large' })
      else resolve({ ok: true, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) })
    })
    req.once('error', () => resolve({ ok: false, reason: 'aborted' }))
    req.once('close', () => {
      if (!req.complete) resolve({ ok: false, reason: 'aborted' })
    })
  })
}
