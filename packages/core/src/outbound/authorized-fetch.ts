/**
 * A `fetch` that gives requests to configured origins a bearer token, hop by hop.
 *
 * @module
 */
import { configError } from '../errors/keyless-error.js'
import type { TokenProvider } from '../token-provider.js'
import { bearerHeader } from './bearer-header.js'
import { parseClaimsChallenge } from './claims-challenge.js'
import { originOf, resolveOutboundAuthOptions, type OutboundAuthOptions } from './outbound-auth-options.js'
import { nextHop, type Hop } from './next-hop.js'

/** Options of {@link authorizedFetch}. */
export interface AuthorizedFetchOptions extends OutboundAuthOptions {
  /** The fetch to wrap. Default: `globalThis.fetch`, read at each call. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

type FetchInput = Parameters<typeof globalThis.fetch>[0]
type Body = RequestInit['body']

/**
 * Wraps `fetch` so that requests to the configured origins carry `Authorization: Bearer <token>`,
 * each with the token of its own scope, and requests anywhere else never carry ours.
 *
 * - Redirects are followed here, not by `fetch` (`redirect: 'manual'` underneath, at most 20
 *   hops, fetch's rules: 303 turns any method but HEAD into GET, 301/302 turn POST into GET, the
 *   body and its `Content-*` headers go with the method change, and a cross-origin hop loses
 *   `Authorization`, `Proxy-Authorization`, `Cookie` and `Host`). Each hop is matched on its own:
 *   a hop to a configured origin gets that origin's token, any other hop goes without ours. A
 *   followed response has `redirected: true` and the last hop's `url`. With `redirect: 'manual'`
 *   or `'error'` the caller's choice is passed to `fetch` as is.
 * - Claims challenge (CAE): a 401 from a configured origin whose `WWW-Authenticate` carries
 *   `error="insufficient_claims"` and `claims="<base64>"` is sent again once with
 *   `getToken(scope, { claims })`, once per hop, when the body can be sent again (none, a
 *   string, `ArrayBuffer`, a typed array, `URLSearchParams`, `Blob`, `FormData`); with a stream
 *   body, or on a second 401, the 401 is returned.
 * - A `Request` input's body is read into memory first, so that it can be replayed; its headers,
 *   method, `signal` and `redirect` are used unless `init` overrides them.
 * - Token failures reject with the provider's KeylessError, which never holds the token; more
 *   than 20 redirects, an unusable `Location`, or a 307/308 with a stream body reject with a
 *   `TypeError` as `fetch` does. The caller's `signal` also releases a wait for a token.
 *
 * Throws a `config` KeylessError at once for invalid options (see `OutboundAuthOptions`).
 *
 * @example
 * ```ts
 * const vaultFetch = authorizedFetch({ provider, origins: { 'https://myvault.vault.azure.net': 'https://vault.azure.net/.default' } })
 * const response = await vaultFetch('https://myvault.vault.azure.net/secrets/db?api-version=7.4')
 * ```
 */
export function authorizedFetch(options: AuthorizedFetchOptions): typeof globalThis.fetch {
  const { provider, origins } = resolveOutboundAuthOptions(options, 'authorizedFetch')
  const custom = options.fetch
  if (custom !== undefined && typeof custom !== 'function') throw configError('authorizedFetch: option fetch must be a function', 'authorizedFetch')

  return async function fetchWithToken(input: FetchInput, init?: RequestInit): Promise<Response> {
    const fetch = custom ?? globalThis.fetch
    const url = new URL(isRequest(input) ? input.url : String(input))
    // data:, blob: and the like reach no origin, so no token: fetch handles them as it likes.
    if (originOf(url) === undefined) return fetch(input, init)
    let hop = await firstHop(url, input, init)
    const signal = init?.signal !== undefined ? init.signal : isRequest(input) ? input.signal : undefined
    const mode = init?.redirect ?? (isRequest(input) ? input.redirect : 'follow')
    const send = async (claims?: string): Promise<Response> => {
      const headers = new Headers(hop.headers)
      const scope = origins.get(hop.url.origin)
      if (scope !== undefined) {
        const tokenSignal = signal ?? undefined
        headers.set('authorization', await bearerHeader(provider, scope, claims === undefined ? { signal: tokenSignal } : { signal: tokenSignal, claims }))
      }
      return fetch(hop.url, { ...init, method: hop.method, headers, body: hop.body ?? null, signal: signal ?? null, redirect: mode === 'follow' ? 'manual' : mode })
    }

    for (let redirects = 0; ; redirects++) {
      let response = await send()
      // Once per hop, as bearerAuth() under a redirect interceptor: a second 401 is final.
      const replayable = isReplayableFetchBody(hop.body)
      if (replayable && response.status === 401 && origins.has(hop.url.origin)) {
        const claims = parseClaimsChallenge(response.headers.get('www-authenticate'))
        if (claims !== undefined) {
          await discard(response)
          response = await send(claims)
        }
      }
      const next = mode === 'follow' ? nextHop(hop, response, redirects, replayable) : undefined
      if (next === undefined) return redirects === 0 ? response : markRedirected(response)
      await discard(response)
      hop = next
    }
  }
}

function isRequest(input: FetchInput): input is Request {
  return typeof input === 'object' && !(input instanceof URL)
}

async function firstHop(url: URL, input: FetchInput, init: RequestInit | undefined): Promise<Hop> {
  const request = isRequest(input) ? input : undefined
  // As in `new Request(input, init)`: init's headers replace the request's, they do not merge.
  const headers = new Headers(init?.headers ?? request?.headers)
  let body: Body = init?.body
  if (body === undefined && request !== undefined && request.body !== null) body = await request.arrayBuffer()
  return { url, method: init?.method ?? request?.method ?? 'GET', headers, body: body ?? null }
}

function isReplayableFetchBody(body: Body): boolean {
  return (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  )
}

async function discard(response: Response): Promise<void> {
  // Frees the connection; a body that fails to cancel has nothing left worth reading.
  await response.body?.cancel().catch(() => {})
}

// Each hop was a fetch of its own, so the last one's `url` is already right; only `redirected`
// would say false.
function markRedirected(response: Response): Response {
  Object.defineProperty(response, 'redirected', { value: true, enumerable: false, configurable: true })
  return response
}
