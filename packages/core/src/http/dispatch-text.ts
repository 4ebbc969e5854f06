/**
 * Internal: one request through an undici dispatcher, with its body collected as text under a
 * size cap. Not part of the public API.
 *
 * It uses the dispatcher's `dispatch()` with a handler rather than undici's `request()`. A token
 * answer is a few KiB and always read whole, so it needs no stream, while `request()` makes a
 * `Readable` body and an `AsyncResource` per request, which run through Node's stream code that a
 * server's requests run through too. In a server that later serves requests, that costs: a
 * Fastify server that had sent one bare `request()` at start-up served about 2 % fewer requests/s
 * (one run) than one that had sent it by `dispatch()`, and a provider's fetch this way left
 * the server about 1 % faster than the same fetch by `request()` (docs/benchmarks.md, "The plugin
 * gap on a quiet Intel host"). The handler sees the statuses, headers, errors, timeouts and
 * aborts that `request()`'s does; the dispatch options are the ones `request()` passes on.
 *
 * @module
 */
import type { Dispatcher } from 'undici'

/** What came back: the status and headers, and the body or why it could not be had. */
export interface DispatchedText {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /**
   * The body as UTF-8 text, or `undefined` when it is larger than the cap (said by
   * `content-length` or seen while reading; the rest is not read and the connection is closed),
   * or when it failed after the headers came (then `bodyError` says why).
   */
  readonly text: string | undefined
  /** The error that ended the body after the headers came (a reset, a body timeout, an abort). */
  readonly bodyError?: unknown
}

/**
 * Sends `options` through `dispatcher` and resolves once the answer is complete, too large, or
 * failed after its headers. Rejects, with undici's error unchanged, when no answer came (the
 * connection failed, the headers timed out, `signal` aborted first); the caller classifies it.
 * An abort of `signal` aborts the request with `signal.reason`.
 *
 * @example
 * ```ts
 * const { statusCode, headers, text } = await dispatchText(agent, { origin, path, method: 'GET', headers }, 65_536, signal)
 * ```
 */
export function dispatchText(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  maxBytes: number,
  signal: AbortSignal,
): Promise<DispatchedText> {
  return new Promise<DispatchedText>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined
    let answer: { statusCode: number; headers: DispatchedText['headers'] } | undefined
    let chunks: Buffer[] = []
    let received = 0
    let settled = false

    const onAbort = (): void => controller?.abort(signal.reason as Error)
    const settle = (outcome: () => void): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      chunks = []
      outcome()
    }
    /** Resolves with no text and stops the transfer, which closes the connection. */
    const tooLarge = (c: Dispatcher.DispatchController, statusCode: number, headers: DispatchedText['headers']): void => {
      settle(() => resolve({ statusCode, headers, text: undefined }))
      c.abort(new Error('response body over the size cap'))
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c
        if (signal.aborted) c.abort(signal.reason as Error)
      },
      onResponseStart(c, statusCode, headers) {
        answer = { statusCode, headers }
        const declared = Number(headers['content-length'] ?? Number.NaN)
        if (Number.isFinite(declared) && declared > maxBytes) tooLarge(c, statusCode, headers)
      },
      onResponseData(c, chunk) {
        if (settled || answer === undefined) return
        received += chunk.byteLength
        if (received > maxBytes) tooLarge(c, answer.statusCode, answer.headers)
        else chunks.push(chunk)
      },
      onResponseEnd() {
        if (answer === undefined) {
          settle(() => reject(new Error('the response ended before a final status')))
          return
        }
        const { statusCode, headers } = answer
        const text = Buffer.concat(chunks, received).toString('utf8')
        settle(() => resolve({ statusCode, headers, text }))
      },
      onResponseError(_c, error) {
        if (answer === undefined) settle(() => reject(error))
        else {
          const { statusCode, headers } = answer
          settle(() => resolve({ statusCode, headers, text: undefined, bodyError: error }))
        }
      },
    }

    signal.addEventListener('abort', onAbort, { once: true })
    try {
      dispatcher.dispatch(options, handler)
    } catch (error: unknown) {
      settle(() => reject(error))
    }
  })
}
