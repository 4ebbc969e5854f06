import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { parseExpiresOn, parseSeconds } from '../../src/parse/parse-expiry.js'
import { edgeNumber, hostileString, hostileValue, nastyChar, numericString } from './hostile.js'
import { fuzzParameters, fuzzTimeoutMs } from '@keyless/test-support'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const anyExpiry = fc.oneof(hostileValue, hostileString, numericString, edgeNumber, fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())))
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

describe('fuzz: parseExpiresOn() and parseSeconds()', () => {
  it('never throws; an expiry is a finite whole number of ms or undefined', () => {
    fc.assert(
      fc.property(anyExpiry, (value) => {
        const at = parseExpiresOn(value)
        if (at !== undefined) {
          expect(Number.isFinite(at)).toBe(true)
          expect(Number.isInteger(at)).toBe(true)
          // Epoch seconds must come out > 0; a date (ISO 8601, RFC 1123) before 1970 reads as ≤ 0,
          // which parseTokenResponse refuses as already expired.
          if (typeof value === 'number' || /^\s*[\d.]+\s*$/.test(String(value))) expect(at).toBeGreaterThan(0)
        }
        const seconds = parseSeconds(value)
        if (seconds !== undefined) {
          expect(Number.isFinite(seconds)).toBe(true)
          expect(seconds).toBeGreaterThan(0)
        }
      }),
      // Found by this suite: a huge number of seconds overflowed to Infinity, a tiny one rounded to 0.
      { ...fuzzParameters(12_000), examples: [[1.797693134862316e305], [5e-324], ['0.0001'], ['1970-01-01T00:00:00.000Z']] },
    )
  })

  it('ignores surrounding whitespace, and a control character inside makes a string unreadable', () => {
    const control = nastyChar.filter((c) => /^[\u0000-\u001f\u007f\u0085\u00a0\u2028\u2029\ufeff\ud800\udfff]+$/.test(c))
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999_999 }), fc.constantFrom(' ', '\t', '\n', '\r\n'), control, (seconds, space, nasty) => {
        expect(parseExpiresOn(`${space}${seconds}${space}`)).toBe(seconds * 1000)
        expect(parseExpiresOn(`${seconds}${nasty}${seconds}`)).toBeUndefined()
      }),
      fuzzParameters(3000),
    )
  })

  it('reads epoch seconds (number or string), ISO 8601 and RFC 1123 exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999_999 }), fc.date({ min: new Date(1), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (seconds, date) => {
        expect(parseExpiresOn(seconds)).toBe(seconds * 1000)
        expect(parseExpiresOn(String(seconds))).toBe(seconds * 1000)
        expect(parseSeconds(String(seconds))).toBe(seconds)
        expect(parseExpiresOn(date.toISOString())).toBe(date.getTime())
        expect(parseExpiresOn(date.toUTCString())).toBe(Math.floor(date.getTime() / 1000) * 1000)
      }),
      fuzzParameters(4000),
    )
  })

  it('reads the legacy App Service form like a 12-hour clock with an offset, and refuses impossible dates', () => {
    const legacy = fc.record({
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      year: fc.integer({ min: 1971, max: 9999 }),
      hour: fc.integer({ min: 0, max: 13 }),
      minute: fc.integer({ min: 0, max: 60 }),
      second: fc.integer({ min: 0, max: 60 }),
      pm: fc.boolean(),
      sign: fc.constantFrom('+', '-'),
      offsetHours: fc.integer({ min: 0, max: 15 }),
      offsetMinutes: fc.integer({ min: 0, max: 60 }),
    })
    fc.assert(
      fc.property(legacy, (d) => {
        const text = `${pad(d.month)}/${pad(d.day)}/${d.year} ${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)} ${d.pm ? 'PM' : 'AM'} ${d.sign}${pad(d.offsetHours)}:${pad(d.offsetMinutes)}`
        const valid =
          d.month >= 1 && d.month <= 12 && d.day >= 1 && d.hour <= 12 && d.minute <= 59 && d.second <= 59 && d.offsetHours <= 14 && d.offsetMinutes <= 59 &&
          new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDate() === d.day
        const offset = (d.sign === '-' ? -1 : 1) * (d.offsetHours * 60 + d.offsetMinutes) * 60_000
        const expected = valid ? Date.UTC(d.year, d.month - 1, d.day, (d.hour % 12) + (d.pm ? 12 : 0), d.minute, d.second) - offset : undefined
        expect(parseExpiresOn(text)).toBe(expected)
      }),
      fuzzParameters(4000),
    )
  })
})
