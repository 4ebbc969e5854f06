/**
 * Test helpers for the outbound helpers: loopback servers that record what each request carried,
 * a fake TokenProvider whose tokens say which scope and claims they were made for, and a CAE
 * claims challenge as Azure services send it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { vi } from 'vitest'
import { createAccessToken } from '../../src/access-token.js'
import type { AccessToken, GetTokenOptions } from '../../src/token-provider.js'
import { loopbackServer } from '../http/loopback-server.js'

/** Every token starts with this, so a leak check can look for it anywhere. */
export const TOKEN_MARK = 'SECRETTOKEN-4c1e9b'

/** The token the fake provider gives for `scope` (and `claims`, if any). */
export function tokenFor(scope: string, claims?: string): string {
  return `${TOKEN_MARK}|${scope}|${claims === undefined ? 'plain' : `claims:${Buffer.from(claims).toString('base64url')}`}`
}

export function bearerFor(scope: string, claims?: string): string {
  return `Bearer ${tokenFor(scope, claims)}`
}

export interface FakeProvider {
  readonly name: string
  readonly getToken: ReturnType<typeof vi.fn<(scope: string, options?: GetTokenOptions) => Promise<AccessToken>>>
}

export function fakeProvider(): FakeProvider {
  return {
    name: 'fake',
    getToken: vi.fn(async (scope: string, options?: GetTokenOptions) => createAccessToken(tokenFor(scope, options?.claims), Date.now() + 3_600_000, Date.now() + 1_800_000)),
  }
}

/** The claims of a CAE challenge (a revoked session, say), and the header that carries them. */
export const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1726258122"}}}'
export const CLAIMS_CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString('base64')}"`

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly headers: IncomingMessage['headers']
  /** Every raw header line, to look for a token anywhere. */
  readonly raw: string
  readonly body: string
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /** The Authorization header of each request, in order. */
  authorizations(): Array<string | undefined>
  close(): Promise<void>
}

export type Respond = (request: RecordedRequest, res: ServerResponse, server: RecordingServer) => void

/** A real `node:http` server on 127.0.0.1, port 0, answering with `respond` (default: 200 `ok`). */
export async function recordingServer(respond: Respond = (_q, res) => res.end('ok')): Promise<RecordingServer> {
  const requests: RecordedRequest[] = []
  let self: RecordingServer | undefined
  const server = await loopbackServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        headers: req.headers,
        raw: req.rawHeaders.join('\n'),
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      if (self !== undefined) respond(recorded, res, self)
    })
  })
  self = {
    origin: server.origin,
    port: Number(new URL(server.origin).port),
    requests,
    authorizations: () => requests.map((r) => r.authorization),
    close: () => server.close(),
  }
  return self
}

/** Answers a redirect to `location` with `status`. */
export function redirectTo(location: () => string, status = 302): Respond {
  return (_q, res) => res.writeHead(status, { location: location() }).end()
}

/** Answers 401 with the claims challenge unless the request carries a token made with {@link CLAIMS}. */
export function challengeUnlessClaims(scope: string): Respond {
  return (q, res) => {
    if (q.authorization === bearerFor(scope, CLAIMS)) res.end('with claims')
    else res.writeHead(401, { 'www-authenticate': CLAIMS_CHALLENGE }).end('challenge')
  }
}
