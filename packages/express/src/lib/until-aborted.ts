/**
 * Releases one wait on a shared promise when a signal aborts.
 *
 * @module
 */
import { isKeylessError, KeylessError } from '@keyless/core'

const noop = (): void => {}

/**
 * Settles like `promise`, or rejects with an `aborted` KeylessError as soon as `signal` aborts
 * (the signal's reason itself when it is already a KeylessError). `promise` goes on; its later
 * rejection is handled here, so it never surfaces as unhandled.
 *
 * Used even though keyless providers honour `signal` themselves, so a provider that ignores it
 * still cannot hold a disconnected client's handler.
 *
 * @example
 * ```ts
 * const token = await untilAborted(provider.getToken(scope, { signal }), signal, provider.name)
 * ```
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, source: string): Promise<T> {
  const abortError = (): unknown =>
    isKeylessError(signal.reason)
      ? signal.reason
      : new KeylessError('aborted', `${source}: the caller aborted its wait for a token`, { source, cause: signal.reason })
  if (signal.aborted) {
    promise.catch(noop)
    return Promise.reject(abortError())
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
