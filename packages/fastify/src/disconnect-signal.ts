/**
 * Ties a token wait to the client's connection: the wait is released when the connection closes,
 * before or after the reply was sent (see {@link untilDisconnect} for why not the reply).
 *
 * @module
 */
import { abortedError, linkSignals, untilAborted, type LinkedSignal } from '@keyless/core'
import { PLUGIN_SOURCE } from './fastify-keyless-options.js'

/**
 * The part of a client connection this module uses: an HTTP/1 `net.Socket`, or an HTTP/2 request's
 * own stream (not its compat `socket` proxy, whose `off` reaches the session's socket instead).
 *
 * @example
 * ```ts
 * const connection: ClientSocket = 'stream' in request.raw ? request.raw.stream : request.raw.socket
 * ```
 */
export interface ClientSocket {
  readonly destroyed: boolean
  once(event: 'close', listener: () => void): unknown
  off(event: 'close', listener: () => void): unknown
}

/** One `close` listener on a socket, shared by every wait on it that has not ended yet. */
interface SocketWatch {
  /** One controller per wait: a shared signal would collect one `abort` listener per wait instead. */
  readonly waits: Set<AbortController>
  readonly onClose: () => void
}

const watches = new WeakMap<ClientSocket, SocketWatch>()

/**
 * Runs `wait` with a signal that aborts when `socket` closes (or was already closed) or when the
 * caller's `signal` aborts, and settles as soon as either happens even if `wait` ignores its
 * signal (a provider of someone else's may): the rejection is a `KeylessError` with code
 * `aborted` and source `fastify`, and whatever `wait` started goes on for its other callers.
 *
 * Concurrent waits on one socket share one `close` listener, added by the first and removed when
 * the last ends, so a handler awaiting many scopes at once stays under Node's listener limit and
 * a keep-alive socket serving many requests never collects listeners. A cache hit (no wait) never
 * needs this at all.
 *
 * The connection, not the reply: neither Fastify's `Request` nor Node's `IncomingMessage` has a
 * public link to its reply, so a wait cannot tell a client that left from a reply that finished
 * and a connection that then closed normally. A wait that outlives its reply on purpose is
 * released when the connection closes; such work should call `fastify.keyless.getToken()`.
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
  // No connection to watch (none, or not an emitter): the caller's signal alone can release the wait.
  const watched = socket !== null && socket !== undefined && typeof socket.once === 'function' ? socket : undefined
  if (watched === undefined && signal === undefined) {
    try {
      return wait(undefined)
    } catch (error) {
      return Promise.reject(error) // a provider of someone else's that throws instead of rejecting
    }
  }

  const connection = watched === undefined ? undefined : watchConnection(watched)
  const parents = [signal, connection?.signal].filter((each): each is AbortSignal => each !== undefined)
  // linkSignals rather than AbortSignal.any: the caller's signal may live long, and any() would keep every composite.
  const linked = linkSignals(parents)
  const release = (): void => {
    linked.dispose()
    connection?.dispose()
  }
  const toError = (reason: unknown): unknown => releasedError(reason, signal !== undefined && reason === signal.reason)

  if (linked.signal.aborted) {
    release()
    return Promise.reject(toError(linked.signal.reason)) // nobody is left to wait for a token
  }
  let pending: Promise<T>
  try {
    pending = wait(linked.signal)
  } catch (error) {
    release()
    return Promise.reject(error)
  }
  const released = untilAborted(pending, linked.signal, toError)
  released.then(release, release)
  return released
}

/**
 * A signal that aborts when `socket` closes (at once if it already has), for one wait. Every wait
 * on a socket joins that socket's one `close` listener; `dispose()` leaves it, and the last to
 * leave removes the listener.
 */
function watchConnection(socket: ClientSocket): LinkedSignal {
  const controller = new AbortController()
  if (socket.destroyed) {
    controller.abort(connectionClosed())
    return { signal: controller.signal, dispose: () => {} }
  }
  let watch = watches.get(socket)
  if (watch === undefined) {
    const waits = new Set<AbortController>()
    const onClose = (): void => {
      watches.delete(socket)
      const reason = connectionClosed()
      for (const each of waits) each.abort(reason)
    }
    watch = { waits, onClose }
    watches.set(socket, watch)
    socket.once('close', onClose)
  }
  watch.waits.add(controller)
  return { signal: controller.signal, dispose: () => leave(socket, controller) }
}

function leave(socket: ClientSocket, controller: AbortController): void {
  const watch = watches.get(socket)
  if (watch === undefined || !watch.waits.delete(controller) || watch.waits.size > 0) return
  watches.delete(socket)
  socket.off('close', watch.onClose)
}

function connectionClosed(): DOMException {
  return new DOMException('the client connection closed', 'AbortError')
}

function releasedError(reason: unknown, byCaller: boolean): unknown {
  const message = byCaller
    ? `${PLUGIN_SOURCE}: request.getToken() was aborted by its options.signal; the token fetch goes on for other callers`
    : `${PLUGIN_SOURCE}: the client connection closed while request.getToken() waited; for work that outlives the reply, use fastify.keyless.getToken()`
  return abortedError(reason, PLUGIN_SOURCE, message)
}
