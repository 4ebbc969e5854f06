/**
 * A raw loopback HTTP client for the tests: exact paths (a leading `//` stays), repeated
 * headers, any method, and a fresh connection per request.
 */
import { request } from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  json<T = Record<string, unknown>>(): T
}

export interface RawRequestOptions {
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: string
  readonly signal?: AbortSignal
}

/** Sends one request to 127.0.0.1:`port` with `path` exactly as given. */
export function rawRequest(port: number, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

export const VAULT = 'https://vault.azure.net'
export const TOKEN_PATH = '/metadata/identity/oauth2/token'
export const VALID_QUERY = `api-version=2018-02-01&resource=${encodeURIComponent(VAULT)}`

/** A well-formed IMDS token request unless overridden. */
export function imdsRequest(
  port: number,
  options: { path?: string; query?: string; headers?: OutgoingHttpHeaders; method?: string; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const path = `${options.path ?? TOKEN_PATH}?${options.query ?? VALID_QUERY}`
  return rawRequest(port, path, {
    headers: options.headers ?? { Metadata: 'true' },
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}

/** The IMDS token response shape (every value a string). */
export interface ImdsTokenBody {
  access_token: string
  refresh_token: string
  expires_in: string
  expires_on: string
  not_before: string
  resource: string
  token_type: string
  client_id: string
}

/** Counts TCP handles (servers and sockets) of this process. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length
}
