/**
 * The fault matrix as data: one row per fault, how it is injected, and what each source does
 * about it. The tests of every column (`<source>.test.ts`) and the table in docs/reliability.md
 * are both read from here; `matrix-doc.test.ts` fails when the doc's table differs.
 */
import type { KeylessErrorCode } from '@keyless/core'
import type { FaultStep } from '@keyless/emulator'

/** The columns: one per source, the legacy App Service dialect as its own. */
export type SourceId = 'imds' | 'app-service' | 'app-service-2017' | 'workload-identity'

/**
 * What a source does about a persistent fault. "Attempts" are upstream requests of one fetch
 * (the first one plus retries); the number per source comes from its column.
 */
export type Behaviour =
  /** Retried with the source's full-jitter backoff until the retries run out, then `code`. */
  | { readonly kind: 'retried'; readonly code: KeylessErrorCode }
  /** Retried, each delay lifted to the `Retry-After` (3 s here), then `code`. */
  | { readonly kind: 'retry-after'; readonly code: KeylessErrorCode }
  /** Each attempt cut at `attemptTimeoutMs` (5 s), retried with backoff, then `timeout`. */
  | { readonly kind: 'cut' }
  /** Retried with the usual growing backoff, without using up retries, until a 70 s window has passed. */
  | { readonly kind: 'window'; readonly code: KeylessErrorCode }
  /** Fails at the first attempt with `code`. */
  | { readonly kind: 'not-retried'; readonly code: KeylessErrorCode }
  /** The token is accepted, and cached under the scope that was asked for. */
  | { readonly kind: 'accepted' }
  /** Retried with backoff while the endpoint is down; the first attempt after it is back gets the token. */
  | { readonly kind: 'recovers' }

/** How a row's fault reaches the wire. */
export type Injection =
  /** Every token request to the column's endpoint gets this step (`faultsFor(endpoint).always(step)`). */
  | { readonly step: FaultStep }
  /** Nothing listens on the endpoint's port. */
  | { readonly down: true }
  /** Nothing listens on the port for a while, then a new server listens on the same port. */
  | { readonly restart: true }

export interface FaultRow {
  /** The fault; starts the name of every test of the row. */
  readonly fault: string
  /** How the test injects it, for the doc. */
  readonly inject: string
  readonly injection: Injection
  readonly expect: Readonly<Record<SourceId, Behaviour>>
}

/** `lifetimeS` that makes a token expire on 9999-12-31 (computed when the row is used, on the test's clock). */
export function lifetimeToYear9999(now: number = Date.now()): number {
  return Math.floor(Date.UTC(9999, 11, 31) / 1000) - Math.floor(now / 1000)
}

const all = (behaviour: Behaviour): Readonly<Record<SourceId, Behaviour>> => ({
  imds: behaviour,
  'app-service': behaviour,
  'app-service-2017': behaviour,
  'workload-identity': behaviour,
})
const retried = (code: KeylessErrorCode): Behaviour => ({ kind: 'retried', code })
const notRetried = (code: KeylessErrorCode): Behaviour => ({ kind: 'not-retried', code })
const appService = (behaviour: Behaviour): Pick<Record<SourceId, Behaviour>, 'app-service' | 'app-service-2017'> => ({
  'app-service': behaviour,
  'app-service-2017': behaviour,
})

/** The trickle interval on the emulator's real clock: 20 ms a byte, so a ~1.3 KiB token body would take ~25 s. */
export const TRICKLE_INTERVAL_MS = 20

export const FAULT_ROWS: readonly FaultRow[] = [
  {
    fault: '404',
    inject: 'status 404',
    injection: { step: { status: 404 } },
    expect: { imds: retried('endpoint-unavailable'), ...appService(retried('endpoint-unavailable')), 'workload-identity': notRetried('rejected') },
  },
  { fault: '408', inject: 'status 408', injection: { step: { status: 408 } }, expect: all(retried('endpoint-unavailable')) },
  {
    fault: '410',
    inject: 'status 410',
    injection: { step: { status: 410 } },
    expect: { imds: { kind: 'window', code: 'endpoint-unavailable' }, ...appService(notRetried('rejected')), 'workload-identity': notRetried('rejected') },
  },
  {
    fault: '429 with Retry-After',
    inject: 'status 429, `Retry-After: 3`',
    injection: { step: { status: 429, retryAfter: '3' } },
    expect: all({ kind: 'retry-after', code: 'throttled' }),
  },
  { fault: '429 without Retry-After', inject: 'status 429', injection: { step: { status: 429 } }, expect: all(retried('throttled')) },
  { fault: '500', inject: 'status 500', injection: { step: { status: 500 } }, expect: all(retried('endpoint-unavailable')) },
  { fault: '503', inject: 'status 503', injection: { step: { status: 503 } }, expect: all(retried('endpoint-unavailable')) },
  { fault: '504', inject: 'status 504', injection: { step: { status: 504 } }, expect: all(retried('endpoint-unavailable')) },
  { fault: 'connection refused', inject: 'endpoint stopped, port closed', injection: { down: true }, expect: all(retried('network')) },
  {
    fault: 'connection reset mid-body',
    inject: '`reset-mid-body`: 200 head, half the body, close',
    injection: { step: { kind: 'reset-mid-body' } },
    expect: all(retried('network')),
  },
  { fault: 'hang before headers', inject: '`hang`: no answer at all', injection: { step: { kind: 'hang' } }, expect: all({ kind: 'cut' }) },
  {
    fault: 'hang mid-body',
    inject: '`hang-mid-body`: 200 head, half the body, then silence',
    injection: { step: { kind: 'hang-mid-body' } },
    expect: all({ kind: 'cut' }),
  },
  {
    fault: 'byte-by-byte trickle',
    inject: `\`trickle\`: one byte every ${TRICKLE_INTERVAL_MS} ms (real clock)`,
    injection: { step: { kind: 'trickle', intervalMs: TRICKLE_INTERVAL_MS } },
    expect: all({ kind: 'cut' }),
  },
  { fault: 'non-JSON body', inject: '`non-json`: 200 with an HTML page', injection: { step: { kind: 'non-json' } }, expect: all(notRetried('bad-response')) },
  {
    fault: 'oversized body',
    inject: '`oversized`: 200, valid token padded to 1 MiB',
    injection: { step: { kind: 'oversized' } },
    expect: all(notRetried('bad-response')),
  },
  {
    fault: '200 without access_token',
    inject: '`no-access-token`',
    injection: { step: { kind: 'no-access-token' } },
    expect: all(notRetried('bad-response')),
  },
  {
    fault: 'expiry in the past',
    inject: '`expires-in-past`: expired 60 s ago',
    injection: { step: { kind: 'expires-in-past' } },
    expect: all(notRetried('bad-response')),
  },
  {
    fault: 'expiry 100 years away',
    inject: '`expires-far` (default lifetime, 100 years)',
    injection: { step: { kind: 'expires-far' } },
    expect: all(notRetried('bad-response')),
  },
  {
    fault: 'expiry in year 9999',
    inject: '`expires-far` to 9999-12-31',
    injection: { step: { kind: 'expires-far', lifetimeS: lifetimeToYear9999() } },
    expect: all(notRetried('bad-response')),
  },
  {
    fault: 'resource echo mismatch',
    inject: '`resource-mismatch`: `resource` (Entra: `aud`) with a `/` added',
    injection: { step: { kind: 'resource-mismatch' } },
    expect: all({ kind: 'accepted' }),
  },
  {
    fault: 'endpoint restarting',
    inject: 'endpoint stopped, then a new one on the same port',
    injection: { restart: true },
    expect: all({ kind: 'recovers' }),
  },
]

/** What a column needs to word its cells. */
export interface ColumnFacts {
  /** Upstream requests of a fetch whose retries all fail: the source's `retries` + 1. */
  readonly attempts: number
}

/**
 * The text of one cell, which is also the name of its test after `<fault>: `. Error cells end with
 * what a caller holding a cached token gets; `matrix-doc.test.ts` keeps the doc equal to this.
 */
export function cellText(behaviour: Behaviour, facts: ColumnFacts): string {
  const cached = 'a cached token is served'
  switch (behaviour.kind) {
    case 'retried':
      return `retried, ${facts.attempts} attempts, backoff → ${behaviour.code}; ${cached}`
    case 'retry-after':
      return `retried, ${facts.attempts} attempts, each delay ≥ Retry-After → ${behaviour.code}; ${cached}`
    case 'cut':
      return `each attempt cut at 5 s, ${facts.attempts} attempts, backoff → timeout; ${cached}`
    case 'window':
      return `retried with backoff, beyond the retry count, for its 70 s window → ${behaviour.code}; ${cached}`
    case 'not-retried':
      return `not retried, 1 attempt → ${behaviour.code}; ${cached}`
    case 'accepted':
      return 'token accepted, 1 attempt, cached under the scope asked for'
    case 'recovers':
      return `retried with backoff, token once it is back; ${cached} meanwhile`
  }
}

/** The name of the test of one cell. */
export function testName(row: FaultRow, behaviour: Behaviour, facts: ColumnFacts): string {
  return `${row.fault}: ${cellText(behaviour, facts)}`
}
