import { describe, expect, it } from 'vitest'
import { MAX_TOKEN_LIFETIME_MS, parseTokenResponse } from '../../src/parse/parse-token-response.js'

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0)
const HOUR = 3_600_000
const inOneHour = (NOW + HOUR) / 1000 // epoch seconds
const options = { source: 'imds', now: NOW }

const parse = (body: unknown, now = NOW) => parseTokenResponse(body, { ...options, now })

describe('parseTokenResponse()', () => {
  it('reads the token and an expires_on number of epoch seconds', () => {
    expect(parse({ access_token: 't', expires_on: inOneHour, token_type: 'Bearer' })).toEqual({ token: 't', expiresAt: NOW + HOUR })
  })

  it.each([
    ['a numeric string', String(inOneHour)],
    ['ISO 8601 with milliseconds', '2026-01-01T01:00:00.000Z'],
    ['ISO 8601 without milliseconds', '2026-01-01T01:00:00Z'],
    ['RFC 1123', 'Thu, 01 Jan 2026 01:00:00 GMT'],
  ])('reads expires_on given as %s', (_name, expiresOn) => {
    expect(parse({ access_token: 't', expires_on: expiresOn }).expiresAt).toBe(NOW + HOUR)
  })

  it('reads the legacy App Service 2017 expires_on date', () => {
    const now = Date.UTC(2017, 8, 14, 11, 0, 0)
    expect(parse({ access_token: 't', expires_on: '09/14/2017 00:00:00 PM +00:00' }, now).expiresAt).toBe(Date.UTC(2017, 8, 14, 12))
  })

  it.each([
    ['a number', 3599],
    ['a numeric string', '3599'],
  ])('falls back to expires_in given as %s, counted from now', (_name, expiresIn) => {
    expect(parse({ access_token: 't', expires_in: expiresIn }).expiresAt).toBe(NOW + 3_599_000)
  })

  it('prefers a readable expires_on to expires_in', () => {
    expect(parse({ access_token: 't', expires_on: inOneHour, expires_in: 60 }).expiresAt).toBe(NOW + HOUR)
  })

  it('falls back to expires_in when expires_on is unreadable', () => {
    expect(parse({ access_token: 't', expires_on: 'someday', expires_in: '60' }).expiresAt).toBe(NOW + 60_000)
  })

  it.each([
    ['a number', 1800],
    ['a numeric string', '1800'],
  ])('reads refresh_in given as %s into refreshAt', (_name, refreshIn) => {
    expect(parse({ access_token: 't', expires_in: 3600, refresh_in: refreshIn }).refreshAt).toBe(NOW + 1_800_000)
  })

  it.each([
    ['epoch seconds', (NOW + HOUR / 2) / 1000],
    ['a numeric string', String((NOW + HOUR / 2) / 1000)],
    ['an ISO date', '2026-01-01T00:30:00Z'],
  ])('reads refresh_on given as %s into refreshAt', (_name, refreshOn) => {
    expect(parse({ access_token: 't', expires_on: inOneHour, refresh_on: refreshOn }).refreshAt).toBe(NOW + HOUR / 2)
  })

  it('prefers refresh_in to refresh_on', () => {
    expect(parse({ access_token: 't', expires_in: 3600, refresh_in: 60, refresh_on: inOneHour - 60 }).refreshAt).toBe(NOW + 60_000)
  })

  it.each([
    ['at or after the expiry', { refresh_in: 3600 }],
    ['after the expiry', { refresh_on: inOneHour + 60 }],
    ['in the past', { refresh_on: NOW / 1000 - 60 }],
    ['zero', { refresh_in: 0 }],
    ['negative', { refresh_in: -5 }],
    ['unreadable', { refresh_in: 'soon', refresh_on: 'later' }],
  ])('leaves out a refresh hint that is %s', (_name, hint) => {
    const token = parse({ access_token: 't', expires_in: 3600, ...hint })
    expect(token).toEqual({ token: 't', expiresAt: NOW + HOUR })
    expect('refreshAt' in token).toBe(false)
  })

  it.each([
    ['no expires_on or expires_in', { access_token: 't' }],
    ['an unreadable expires_on and no expires_in', { access_token: 't', expires_on: 'tomorrow' }],
    ['a zero expires_in', { access_token: 't', expires_in: 0 }],
    ['an expires_in that is not numeric', { access_token: 't', expires_in: 'an hour' }],
    ['an expiry in the past', { access_token: 't', expires_on: NOW / 1000 - 1 }],
    ['an expiry exactly now', { access_token: 't', expires_on: NOW / 1000 }],
    ['an expiry more than a year away', { access_token: 't', expires_on: (NOW + MAX_TOKEN_LIFETIME_MS) / 1000 + 1 }],
    ['an expires_on in milliseconds', { access_token: 't', expires_on: NOW + HOUR }],
  ])('rejects %s with bad-response', (_name, body) => {
    expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'bad-response', source: 'imds', retryable: false }))
  })

  it('accepts an expiry exactly a year away', () => {
    expect(parse({ access_token: 't', expires_on: (NOW + MAX_TOKEN_LIFETIME_MS) / 1000 }).expiresAt).toBe(NOW + MAX_TOKEN_LIFETIME_MS)
  })

  it.each([
    ['missing', { expires_in: 3600 }],
    ['empty', { access_token: '', expires_in: 3600 }],
    ['a number', { access_token: 42, expires_in: 3600 }],
    ['null', { access_token: null, expires_in: 3600 }],
  ])('rejects an access_token that is %s with bad-response', (_name, body) => {
    expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'bad-response' }))
  })

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'access_token'],
    ['a number', 42],
    ['an array', [{ access_token: 't', expires_in: 3600 }]],
  ])('rejects a body that is %s with bad-response', (_name, body) => {
    expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'bad-response' }))
  })
})
