/**
 * Test clients for the App Service endpoints (plain HTTP) and the Entra server (HTTPS, trusting
 * the emulator's CA only when asked to).
 */
import { request } from 'node:https'
import type { OutgoingHttpHeaders } from 'node:http'
import type { Emulator } from '../src/index.js'
import { JWT_BEARER_ASSERTION_TYPE } from '../src/index.js'
import { VAULT, rawRequest } from './http-client.js'
import type { RawResponse } from './http-client.js'

export interface HttpsRequestOptions {
  readonly ca?: string
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: string
  readonly signal?: AbortSignal
}

/** One HTTPS request on a fresh connection; without `ca` only the default trust store applies. */
export function httpsRequest(url: string, options: HttpsRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A valid Entra token request body for `emulator`, with fields replaced (or dropped with `undefined`). */
export async function entraForm(emulator: Emulator, overrides: Record<string, string | undefined> = {}): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const fields: Record<string, string | undefined> = {
    client_id: emulator.entra.clientId,
    scope: `${VAULT}/.default`,
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: (await readFile(emulator.entra.tokenFile, 'utf8')).trim(),
    ...overrides,
  }
  const form = new URLSearchParams()
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) form.append(key, value)
  return form.toString()
}

export interface EntraTokenRequestOptions {
  readonly body?: string
  readonly path?: string
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly signal?: AbortSignal
}

/** POSTs to the Entra token endpoint over HTTPS, trusting the emulator's CA. */
export async function entraTokenRequest(emulator: Emulator, options: EntraTokenRequestOptions = {}): Promise<RawResponse> {
  const path = options.path ?? new URL(emulator.entra.tokenEndpoint).pathname
  return httpsRequest(emulator.entra.authorityHost + path, {
    ca: emulator.entra.caPem,
    method: options.method ?? 'POST',
    headers: options.headers ?? { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: options.body ?? (await entraForm(emulator)),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}

export const APP_SERVICE_QUERY = `resource=${encodeURIComponent(VAULT)}&api-version=2019-08-01`
export const LEGACY_QUERY = `resource=${encodeURIComponent(VAULT)}&api-version=2017-09-01`

export interface AppServiceRequestOptions {
  readonly query?: string
  readonly headers?: OutgoingHttpHeaders
  readonly method?: string
  readonly path?: string
  readonly signal?: AbortSignal
}

/** A well-formed App Service 2019-08-01 request unless overridden. */
export function appServiceRequest(emulator: Emulator, options: AppServiceRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(emulator.port, `${options.path ?? new URL(emulator.appService.endpoint).pathname}?${options.query ?? APP_SERVICE_QUERY}`, {
    headers: options.headers ?? { 'X-IDENTITY-HEADER': emulator.appService.header },
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}

/** A well-formed legacy 2017-09-01 request unless overridden. */
export function legacyRequest(emulator: Emulator, options: AppServiceRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(emulator.port, `${options.path ?? new URL(emulator.legacyAppService.endpoint).pathname}?${options.query ?? LEGACY_QUERY}`, {
    headers: options.headers ?? { secret: emulator.legacyAppService.secret },
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
}
