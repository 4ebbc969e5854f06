import { MockAgent } from 'undici'

/** The loopback origin the unit tests pretend the platform set. Nothing listens there. */
export const ORIGIN = 'http://127.0.0.1:41741'
export const TOKEN_PATH = '/msi/token'
export const TOKEN_URL = `${ORIGIN}${TOKEN_PATH}`

/** One request as the mock endpoint saw it: path with query, and lower-cased header names. */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
}

/** A reply the mock endpoint gives: a status with a JSON body, or a transport error. */
export type MockReply =
  | { readonly status: number; readonly body?: object | string; readonly headers?: Record<string, string> }
  | { readonly error: Error }

/** A token response of the 2019-08-01 shape, valid for an hour from now (epoch-seconds string). */
export function tokenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: 'mock-token',
    expires_on: String(Math.floor(Date.now() / 1000) + 3600),
    resource: 'https://vault.azure.net',
    token_type: 'Bearer',
    client_id: '5a1e0000-0000-4000-8000-000000000001',
    ...overrides,
  }
}

/**
 * An undici MockAgent for {@link ORIGIN} that records every request and answers from `replies`
 * in order, then with a token (or always the last reply when `repeatLast`).
 */
export function mockEndpoint(origin: string = ORIGIN): { agent: MockAgent; seen: SeenRequest[]; enqueue(...replies: MockReply[]): void } {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const seen: SeenRequest[] = []
  const queue: MockReply[] = []
  const pool = agent.get(origin)
  pool
    .intercept({ path: () => true, method: () => true })
    .reply((opts) => {
      seen.push({ method: opts.method, path: opts.path, headers: lowerCased(opts.headers) })
      const reply = queue.shift() ?? { status: 200, body: tokenBody() }
      if ('error' in reply) throw reply.error
      return { statusCode: reply.status, data: reply.body ?? '', responseOptions: { headers: { 'content-type': 'application/json', ...reply.headers } } }
    })
    .persist()
  return { agent, seen, enqueue: (...replies) => queue.push(...replies) }
}

function lowerCased(headers: unknown): Record<string, string> {
  // The source passes a plain object; MockAgent hands it over as given.
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries((headers ?? {}) as Record<string, unknown>)
  return Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), String(value)]))
}
