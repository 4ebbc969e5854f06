/**
 * Reads the endpoint's own short error identifier out of a JSON error body.
 *
 * @module
 */

/** What an upstream error identifier may look like to be exposed as `upstreamError`. */
// A word of letters, digits and underscores, as every documented code is (invalid_request,
// bad_request_102, SecretHeaderNotFound). No dots or hyphens: a JWT or an opaque token cannot pass.
const SAFE_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,47}$/

/**
 * Returns the endpoint's short error identifier from a parsed JSON error body, or `undefined`.
 *
 * It reads `error` when it is a string (IMDS and Entra: `{"error":"invalid_request", ...}`), or
 * `error.code` when `error` is an object (`{"error":{"code":"...","message":"..."}}`), as MSAL does
 * (reference/protocols.md §1.4). The value is returned only if it is one word (`/^[A-Za-z][A-Za-z0-9_]{0,47}$/`),
 * so nothing free-form from a response (descriptions, messages, echoed input) ever reaches an error.
 * Never throws.
 *
 * @example
 * ```ts
 * parseErrorBody({ error: 'invalid_request', error_description: 'Identity not found' }) // 'invalid_request'
 * parseErrorBody({ error: { code: 'Throttled', message: '...' } }) // 'Throttled'
 * parseErrorBody('<html>') // undefined
 * ```
 */
export function parseErrorBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const error = (body as Record<string, unknown>)['error']
  const candidate =
    typeof error === 'object' && error !== null && !Array.isArray(error)
      ? (error as Record<string, unknown>)['code']
      : error
  return typeof candidate === 'string' && SAFE_IDENTIFIER.test(candidate) ? candidate : undefined
}
