/**
 * Ties a token wait to the client's connection: the wait is abandoned when the client goes away
 * before the reply is sent.
 *
 * @module
 */
import { linkSignals } from '@keyless/core'

/**
 * The part of a client socket this module uses (a `net.Socket`, or HTTP/2's compat proxy).
 *
 * @example
 * ```ts
 * const socket: ClientSocket | undefined = request.raw.socket
 * ```
 */
export interface ClientSocket {
  readonly destroyed: boolean
  once(event: 'close', listener: () => void): unknown
  off(event: 'close', listener: () => void): unknown
}

/**
 * Runs `wait` with a signal that aborts when `socket` closes (or was already closed), combined
 * with the caller's `signal` if any. The `close` listener lives exactly as long as the wait, so a
 * keep-alive socket serving many requests never collects listeners, and a cache hit (no wait)
 * never needs this at all.
 *
 * Why the socket and not `request.raw`'s `close` event: on Node 20 `IncomingMessage` emits
 * `close` once its body has been read, while the handler still runs, and a disconnect after that
 * emits nothing more on it. So `close` alone would cancel every POST, and `close` + `aborted`
 * (Fastify's `onRequestAbort` check) misses every disconnect after a body. Fastify 5.12.8's own
 * `request.signal` aborts on that early `close`.
 *
 * @example
 * ```ts
 * const token = await untilDisconnect(request.raw.socket, undefined, (signal) => provider.getToken(scope, { signal }))
 * ```
 */
export function untilDisconnect<T>(
  socket: ClientSocket | null | undefined,
  signal: AbortSignal | undefined,
  wait: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  // On HTTP/2, the compat `socket` proxies `once` and `destroyed` to the request's own stream.
  if (socket === null || socket === undefined || typeof socket.once !== 'function') return wait(signal)
  const controller = new AbortController()
  const onClose = (): void =>
    controller.abort(new DOMException('the client closed the connection before the reply was sent', 'AbortError'))
  if (socket.destroyed) onClose()
  else socket.once('close', onClose)
  // linkSignals rather than AbortSignal.any: the caller's signal may live long, and any() would keep every composite.
  const linked = signal === undefined ? undefined : linkSignals([signal, controller.signal])
  const release = (): void => {
    socket.off('close', onClose)
    linked?.dispose()
  }
  let promise: Promise<T>
  try {
    promise = wait(linked?.signal ?? controller.signal)
  } catch (error) {
    release()
    return Promise.reject(error)
  }
  promise.then(release, release)
  return promise
}
