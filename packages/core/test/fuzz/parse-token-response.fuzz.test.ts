import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { MAX_TOKEN_LIFETIME_MS, parseTokenResponse } from '../../src/parse/parse-token-response.js'
import { coded } from './coded.js'
import { edgeNumber, fromJsonEntries, hostileString, hostileValue, nastyKey, numericString } from './hostile.js'
import { fuzzParameters, fuzzTimeoutMs } from '@keyless/test-support'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const YEAR_2026 = Date.UTC(2026, 0, 1)
const YEAR_2028 = Date.UTC(2028, 0, 1)
/** Request times from 1970 to 2100 and the edges, most of them in 2026–2027 where the expiries below fall. */
const now = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: YEAR_2026, max: YEAR_2028 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 4_102_444_800_000) },
)
/** Expiries near `now`: epoch seconds in 2026–2027 as numbers or strings, and relative seconds. */
const plausibleSeconds = fc.oneof(
  fc.integer({ min: YEAR_2026 / 1000, max: YEAR_2028 / 1000 }),
  fc.integer({ min: YEAR_2026 / 1000, max: YEAR_2028 / 1000 }).map(String),
  fc.integer({ min: -10, max: 400 * 24 * 3600 }),
  fc.integer({ min: 1, max: 90_000 }).map(String),
)

/** A value for one field: realistic, numeric-looking, or hostile. */
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: plausibleSeconds },
  { weight: 3, arbitrary: numericString },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 2, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileValue },
)

/** Bodies shaped like token responses: some fields present, any values, hostile keys alongside. */
const tokenShapedBody = fc
  .tuple(
    fc.record(
      {
        access_token: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), hostileString, hostileValue),
        expires_on: fieldValue,
        expires_in: fieldValue,
        refresh_in: fieldValue,
        refresh_on: fieldValue,
        token_type: fc.oneof(fc.constant('Bearer'), hostileString),
        resource: hostileString,
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(nastyKey, hostileValue), { maxLength: 3 }),
  )
  .map(([fields, extra]) => fromJsonEntries([...extra, ...Object.entries(fields)]))

/** How many parses succeeded and failed, to show the generators reach both outcomes. */
const tally = { ok: 0, refused: 0 }

function checkParse(body: unknown, at: number): void {
  const outcome = coded(['bad-response'], () => parseTokenResponse(body, { source: 'fuzz', now: at }))
  const accessToken = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['access_token'] : undefined
  tally[outcome.ok ? 'ok' : 'refused']++
  if (outcome.ok) {
    const { token, expiresAt, refreshAt } = outcome.value
    expect(token).toBe(accessToken)
    expect(token).not.toBe('')
    expect(Number.isSafeInteger(expiresAt)).toBe(true)
    expect(expiresAt).toBeGreaterThan(at)
    expect(expiresAt - at).toBeLessThanOrEqual(MAX_TOKEN_LIFETIME_MS)
    if (refreshAt !== undefined) {
      expect(Number.isFinite(refreshAt)).toBe(true)
      expect(refreshAt).toBeGreaterThan(at)
      expect(refreshAt).toBeLessThan(expiresAt)
    }
    expect(Object.keys(outcome.value).sort()).toEqual(refreshAt === undefined ? ['expiresAt', 'token'] : ['expiresAt', 'refreshAt', 'token'])
  } else {
    expect(outcome.error.retryable).toBe(false)
    expect(outcome.error.source).toBe('fuzz')
    // Messages name fields, never values: no token text reaches an error.
    if (typeof accessToken === 'string' && accessToken.length >= 8) expect(outcome.error.message.includes(accessToken)).toBe(false)
  }
}

describe('fuzz: parseTokenResponse()', () => {
  it('returns a valid token or throws bad-response, for any value at all', () => {
    fc.assert(fc.property(hostileValue, now, checkParse), fuzzParameters(15_000))
  })

  it('returns a valid token or throws bad-response, for token-shaped bodies with hostile fields', () => {
    tally.ok = tally.refused = 0
    fc.assert(fc.property(tokenShapedBody, now, checkParse), fuzzParameters(20_000))
    expect(tally.ok).toBeGreaterThan(tally.refused / 20) // both branches are exercised
    expect(tally.refused).toBeGreaterThan(tally.ok / 20)
    console.log(`token-shaped bodies: ${tally.ok} parsed, ${tally.refused} refused`)
  })

  it('accepts what it should: a token with epoch-seconds expiry within a year parses exactly', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), now, fc.integer({ min: 1, max: 365 * 24 * 3600 - 1 }), fc.boolean(), (token, at, lifetime, asString) => {
        const expiresOnSeconds = Math.ceil(at / 1000) + lifetime
        const body = { access_token: token, expires_on: asString ? String(expiresOnSeconds) : expiresOnSeconds }
        expect(parseTokenResponse(body, { source: 'fuzz', now: at })).toEqual({ token, expiresAt: expiresOnSeconds * 1000 })
      }),
      fuzzParameters(3000),
    )
  })

  it('handles whatever JSON.parse makes of arbitrary JSON text', () => {
    const text = fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 80 }))
    fc.assert(
      fc.property(text, now, (json, at) => {
        let body: unknown
        try {
          body = JSON.parse(json)
        } catch {
          body = json // the HTTP seam refuses non-JSON itself; the parser must survive the raw text too
        }
        checkParse(body, at)
      }),
      fuzzParameters(5000),
    )
  })
})
