/**
 * One request and its answer, as the routes see them.
 *
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { ResetConnection } from './loopback-server.js'
import type { LogHandle } from './request-log.js'
import { sendJson, sendText } from './send.js'

/** A request being answered; every answer goes through `reply` so the log sees its status. */
export interface Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The path as received, without the query. */
  readonly path: string
  readonly query: URLSearchParams
  readonly log: LogHandle
  /** Sends a JSON answer. */
  reply(status: number, body: unknown, headers?: OutgoingHttpHeaders): void
  /** Sends a text answer with the given content type. */
  replyText(status: number, text: string, contentType: string, headers?: OutgoingHttpHeaders): void
  /**
   * Sends the status and headers of a text answer, `Content-Length` of the whole `text` included,
   * and returns a writer that sends its body piece by piece; `undefined` when the socket is gone
   * or an answer already started.
   */
  startText(status: number, text: string, contentType: string): BodyWriter | undefined
  /** Ends the connection with a TCP reset, over TLS too; nothing is answered. */
  reset(): void
  /** True once the socket is gone (client gave up, `reset` fault, `close()`). */
  readonly gone: boolean
}

/** The body of an answer started with {@link Exchange.startText}, sent piece by piece. */
export interface BodyWriter {
  /** Bytes of the body not sent yet. */
  readonly remaining: number
  /** Sends the next `bytes` bytes (fewer at the end); resolves once they are handed to the socket, `false` if it is gone. */
  send(bytes: number): Promise<boolean>
  /** Closes the connection without sending the rest (a FIN, after what was sent). */
  drop(): void
}

function bodyWriter(res: ServerResponse, payload: Buffer): BodyWriter {
  let sent = 0
  return {
    get remaining() {
      return payload.length - sent
    },
    send(bytes) {
      const chunk = payload.subarray(sent, sent + bytes)
      sent += chunk.length
      if (res.destroyed) return Promise.resolve(false)
      const last = sent >= payload.length
      return new Promise<boolean>((resolve) => {
        const done = (error?: Error | null): void => resolve(error == null && !res.destroyed)
        if (last) res.end(chunk, () => done())
        else res.write(chunk, done)
      })
    },
    drop() {
      res.socket?.destroy()
    },
  }
}

/** Wraps a request and its response; internal. */
export function createExchange(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  log: LogHandle,
  reset: ResetConnection,
): Exchange {
  const canSend = (): boolean => !res.headersSent && !res.destroyed
  return {
    req,
    res,
    path,
    query,
    log,
    reply(status, body, headers) {
      if (!canSend()) return
      log.answered(status)
      sendJson(res, status, body, headers)
    },
    replyText(status, text, contentType, headers) {
      if (!canSend()) return
      log.answered(status)
      sendText(res, status, text, contentType, headers)
    },
    startText(status, text, contentType) {
      if (!canSend()) return undefined
      log.answered(status)
      const payload = Buffer.from(text, 'utf8')
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': payload.length })
      // Node holds the head back until the first body write; send it now, alone.
      res.flushHeaders()
      return bodyWriter(res, payload)
    },
    reset() {
      reset(req.socket)
    },
    get gone() {
      return res.destroyed || req.socket.destroyed
    },
  }
}
