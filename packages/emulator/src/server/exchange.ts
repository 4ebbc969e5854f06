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
  /** Ends the connection with a TCP reset, over TLS too; nothing is answered. */
  reset(): void
  /** True once the socket is gone (client gave up, `reset` fault, `close()`). */
  readonly gone: boolean
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
    reset() {
      reset(req.socket)
    },
    get gone() {
      return res.destroyed || req.socket.destroyed
    },
  }
}
