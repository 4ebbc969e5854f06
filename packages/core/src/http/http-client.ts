/**
 * The one HTTP seam of keyless: a JSON request over undici that never follows redirects, keeps
 * IMDS and loopback endpoints off proxies, caps response bodies, honours an abort signal, and
 * turns every failure into a classified {@link KeylessError}.
 *
 * @module
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import { Agent, EnvHttpProxyAgent, request as undiciRequest, type Dispatcher } from 'undici'
import { abortedError, configError, KeylessError } from '../errors/keyless-error.js'
import { trustedCertificates } from './trusted-certificates.js'
import { endpointLabel } from './endpoint-label.js'
import { isDirectHost } from './is-direct-host.js'
import { networkError } from './network-error.js'
import { readBody } from './read-body.js'
import { DEFAULT_MAX_RETRY_AFTER_MS, statusError } from './status-error.js'

export { DEFAULT_MAX_RETRY_AFTER_MS } from './status-error.js'

/** Largest response body read: 64 KiB. A token response is a few KiB. */
export const DEFAULT_MAX_BODY_BYTES: number = 64 * 1024
/** undici's wait for the response headers, a backstop behind the engine's attempt timeout: 30 s. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000
/** undici's wait between two body chunks, a backstop behind the engine's attempt timeout: 30 s. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000

/**
 * Turns off undici's redirect interceptor for our requests, should an injected `dispatcher` have
 * one: a redirect must come back as the 3xx it is, not send the platform's secret header or a
 * federated assertion on to the `Location` origin. (A spread, because undici 7's request types
 * no longer list the option; its `request()` still accepts 0.)
 */
const NO_REDIRECTS = { maxRedirections: 0 } as const

/** The proxy variables that make non-direct hosts go through undici's `EnvHttpProxyAgent`. */
export const PROXY_ENV_NAMES: readonly string[] = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Goes into every error's `source` and starts its message (`imds`, `app-service`, ...). */
  readonly source: string
  /** Statuses the source retries (its `RetryPolicy.retryableStatuses`); marks errors `retryable`. */
  readonly retryableStatuses: ReadonlySet<number>
  /**
   * An undici dispatcher to send every request through (tests: `MockAgent`). Used as-is: no proxy
   * decision, none of the limits below, and `close()` leaves it open. Its redirect interceptor,
   * if it has undici's, is turned off for these requests; one that follows redirects by other
   * means must not be given here.
   */
  readonly dispatcher?: Dispatcher | undefined
  /** Connections per origin of our own Agent (IMDS allows 5 concurrent). Default: undici's, unlimited. */
  readonly connections?: number | undefined
  /** Largest response body read, in bytes. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number | undefined
  /** Cap of an error's `retryAfterMs`, in ms. Default {@link DEFAULT_MAX_RETRY_AFTER_MS}. */
  readonly maxRetryAfterMs?: number | undefined
  /** Our Agent's wait for response headers, in ms. Default {@link DEFAULT_HEADERS_TIMEOUT_MS}. */
  readonly headersTimeoutMs?: number | undefined
  /** Our Agent's wait between body chunks, in ms. Default {@link DEFAULT_BODY_TIMEOUT_MS}. */
  readonly bodyTimeoutMs?: number | undefined
  /** Clock for `Retry-After` HTTP dates, epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined
  /**
   * Extra certificate authorities (PEM: one string or Buffer, possibly a bundle, or a list) that
   * our Agents trust for TLS, on top of Node's default roots, which keep working. For a private
   * authority or a test emulator. Without it Node's defaults apply, `NODE_EXTRA_CA_CERTS`
   * included. Applies to the tunnelled TLS through an `HTTPS_PROXY` too; not to an injected
   * `dispatcher` (giving both is a config error). Invalid PEM is a config error.
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
}

/** One request. The URL's query string never reaches an error. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST'
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  /** Sent as-is (a form-encoded string for token exchanges). */
  readonly body?: string | undefined
  /** Aborts the request and the body read. The engine aborts with a `KeylessError` reason. */
  readonly signal: AbortSignal
}

/** A 2xx answer whose body parsed as JSON. */
export interface HttpJsonResponse {
  readonly status: number
  /** The parsed JSON body; validate it before use (`parseTokenResponse`). */
  readonly body: unknown
}

/** Any answer's status and text, for a probe that judges the answer itself. */
export interface HttpAnswer {
  readonly status: number
  /** The body as UTF-8 text; `undefined` when it is larger than `maxBodyBytes`. */
  readonly text: string | undefined
}

/** What {@link createHttpClient} returns. */
export interface HttpClient {
  /**
   * Sends one request and resolves the parsed JSON of a 2xx answer. Never retries and never
   * follows a redirect. Rejects with a `KeylessError`:
   * - a non-2xx status: `throttled`, `endpoint-unavailable` or `rejected` (3xx included), see `statusError`;
   * - no answer: `network` or `timeout`, see `networkError`;
   * - a 2xx body larger than `maxBodyBytes` or not JSON: `bad-response`, not retryable;
   * - the signal aborted: its reason when that is a `KeylessError`, else `aborted`;
   * - the client was closed: `closed`.
   */
  request(request: HttpRequest): Promise<HttpJsonResponse>
  /**
   * Sends one request the same way (same dispatcher choice, no redirect followed, the body capped
   * at `maxBodyBytes`) and resolves whatever status came back, with its body's text. For probes
   * (IMDS's, which must read a 403's text); never for a token, whose body must go through
   * `request`'s checks. Rejects only when no answer came: `network`, `timeout`, `aborted`, `closed`.
   */
  answer(request: HttpRequest): Promise<HttpAnswer>
  /** Closes the Agents this client created (never an injected `dispatcher`). Idempotent. */
  close(): Promise<void>
}

/**
 * Creates the HTTP client a source makes its one request with.
 *
 * Without a `dispatcher` it owns a dedicated undici `Agent` (keep-alive, `connections` per origin,
 * header and body timeouts). Hosts for which `isDirectHost` is true (loopback, IMDS) always use it
 * directly. Other hosts go through an undici `EnvHttpProxyAgent` (which honours `NO_PROXY`) when one
 * of {@link PROXY_ENV_NAMES} is set at their first request, else through the direct Agent too.
 * Both trust Node's default certificate authorities, plus `ca` when it is given.
 *
 * Throws a `config` error synchronously when an option is invalid.
 *
 * @example
 * ```ts
 * const http = createHttpClient({ source: 'imds', retryableStatuses: new Set([404, 410, 429, 500]), connections: 5 })
 * const { body } = await http.request({
 *   method: 'GET',
 *   url: new URL('http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'),
 *   headers: { Metadata: 'true' },
 *   signal: AbortSignal.timeout(5_000),
 * })
 * await http.close()
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const settings = validate(options)
  const { source, injected } = settings
  const agentOptions = agentOptionsFor(settings)
  let direct: Agent | undefined
  let proxied: EnvHttpProxyAgent | undefined
  let closed = false

  const dispatcherFor = (url: URL): Dispatcher => {
    if (injected !== undefined) return injected
    if (!isDirectHost(url.hostname) && proxyConfigured()) return (proxied ??= new EnvHttpProxyAgent(agentOptions.proxied()))
    return (direct ??= new Agent(agentOptions.direct()))
  }

  const aborted = (signal: AbortSignal, url: URL): KeylessError =>
    abortedError(signal.reason, source, `${source}: the request to ${endpointLabel(url)} was aborted by its signal`)

  const badResponse = (url: URL, what: string): KeylessError =>
    new KeylessError('bad-response', `${source}: ${endpointLabel(url)} answered with ${what}; check that the endpoint URL points at the token endpoint`, { source, retryable: false })

  const send = async ({ method, url, headers, body, signal }: HttpRequest): Promise<Dispatcher.ResponseData> => {
    if (signal.aborted) throw aborted(signal, url)
    if (closed) throw new KeylessError('closed', `${source}: the HTTP client is closed; create a new provider`, { source })
    try {
      return await undiciRequest(url, { dispatcher: dispatcherFor(url), method, headers, body: body ?? null, signal, ...NO_REDIRECTS })
    } catch (error: unknown) {
      throw signal.aborted ? aborted(signal, url) : networkError(error, { source, url })
    }
  }

  const readText = async (response: Dispatcher.ResponseData, { url, signal }: HttpRequest): Promise<string | undefined> => {
    try {
      return await readBody(response.body, settings.maxBodyBytes, response.headers['content-length'])
    } catch (error: unknown) {
      throw signal.aborted ? aborted(signal, url) : networkError(error, { source, url })
    }
  }

  return {
    async request(request: HttpRequest): Promise<HttpJsonResponse> {
      const { url, headers, signal } = request
      const response = await send(request)
      const { statusCode, headers: responseHeaders } = response
      if (statusCode < 200 || statusCode > 299) {
        let errorBody: unknown
        try {
          errorBody = parseJson(await readText(response, request))
        } catch {
          // An unreadable error body only loses the upstream identifier; the status still decides.
          if (signal.aborted) throw aborted(signal, url)
        }
        // Request header values (the App Service secret among them) never come back as upstreamError.
        throw statusError(statusCode, responseHeaders, errorBody, { ...settings.statusContext, url, withheld: Object.values(headers) })
      }

      const text = await readText(response, request)
      if (text === undefined) throw badResponse(url, `a body larger than ${settings.maxBodyBytes} bytes`)
      const parsed = parseJson(text)
      // The JSON.parse error is dropped on purpose: V8 quotes the input in its message.
      if (parsed === undefined) throw badResponse(url, `a ${statusCode} whose body is not JSON`)
      return { status: statusCode, body: parsed }
    },

    async answer(request: HttpRequest): Promise<HttpAnswer> {
      const response = await send(request)
      return { status: response.statusCode, text: await readText(response, request) }
    },

    async close(): Promise<void> {
      closed = true
      const agents = [direct, proxied]
      direct = undefined
      proxied = undefined
      await Promise.all(agents.map(async (agent) => agent?.close()))
    },
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown
  } catch {
    return undefined
  }
}

/**
 * Options of our direct Agent and of our EnvHttpProxyAgent. The latter hands its options to a
 * direct Agent for `NO_PROXY` hosts (which reads `connect`) and to ProxyAgents, which read
 * `requestTls` for the TLS tunnelled to the target. With `ca`, both use one TLS context made when
 * the first Agent is: passing `ca` itself would make Node build a context from ~150 certificates
 * (about 20 ms of CPU) for every new connection.
 */
function agentOptionsFor(settings: Settings): { direct: () => Agent.Options; proxied: () => EnvHttpProxyAgent.Options } {
  const { ca, agentOptions } = settings
  if (ca === undefined) return { direct: () => agentOptions, proxied: () => agentOptions }
  let secureContext: SecureContext | undefined
  const context = (): SecureContext => (secureContext ??= createSecureContext({ ca: [...ca] }))
  return {
    direct: () => ({ ...agentOptions, connect: { secureContext: context() } }),
    proxied: () => ({ ...agentOptions, connect: { secureContext: context() }, requestTls: { secureContext: context() } }),
  }
}

function proxyConfigured(): boolean {
  return PROXY_ENV_NAMES.some((name) => (process.env[name] ?? '') !== '')
}

interface Settings {
  readonly source: string
  readonly injected: Dispatcher | undefined
  readonly maxBodyBytes: number
  readonly agentOptions: Agent.Options
  /** Node's default CAs plus the `ca` option, when it was given. */
  readonly ca: readonly string[] | undefined
  readonly statusContext: {
    readonly source: string
    readonly retryableStatuses: ReadonlySet<number>
    readonly maxRetryAfterMs: number
    readonly now: () => number
  }
}

function validate(options: HttpClientOptions): Settings {
  const source = typeof options?.source === 'string' ? options.source : ''
  if (source === '') throw configError('http client: `source` must be a non-empty string')
  const fail = (name: string, rule: string): never => {
    throw configError(`${source}: the HTTP option \`${name}\` must be ${rule}`, source)
  }
  const positive = (name: string, value: number | undefined, fallback: number, integer: boolean): number => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
      return fail(name, integer ? 'a positive integer' : 'a positive number of milliseconds')
    }
    return value
  }
  if (typeof options.retryableStatuses?.has !== 'function') fail('retryableStatuses', 'a Set of HTTP statuses')
  if (options.dispatcher !== undefined && typeof options.dispatcher?.dispatch !== 'function') fail('dispatcher', 'an undici Dispatcher')
  if (options.now !== undefined && typeof options.now !== 'function') fail('now', 'a function returning epoch milliseconds')
  if (options.ca !== undefined && options.dispatcher !== undefined) {
    fail('ca', 'left out when a `dispatcher` is given (configure TLS on the dispatcher itself)')
  }
  const ca = options.ca === undefined ? undefined : trustedCertificates(options.ca, (rule) => fail('ca', rule))
  const connections = options.connections === undefined ? undefined : positive('connections', options.connections, 0, true)
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
  if (typeof maxRetryAfterMs !== 'number' || !(maxRetryAfterMs >= 0) || !Number.isFinite(maxRetryAfterMs)) {
    fail('maxRetryAfterMs', 'a non-negative number of milliseconds')
  }
  return {
    source,
    injected: options.dispatcher,
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, true),
    agentOptions: {
      headersTimeout: positive('headersTimeoutMs', options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, false),
      bodyTimeout: positive('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS, false),
      ...(connections === undefined ? {} : { connections }),
    },
    ca,
    statusContext: {
      source,
      retryableStatuses: new Set(options.retryableStatuses),
      maxRetryAfterMs,
      now: options.now ?? Date.now,
    },
  }
}
