import { describe, expect, it } from 'vitest'
import { parseExpiresOn, parseSeconds } from '../../src/parse/parse-expiry.js'

const AT = Date.UTC(2026, 10, 30, 0, 6, 22) // 2026-11-30T00:06:22Z
const AT_SECONDS = AT / 1000

describe('parseExpiresOn()', () => {
  it.each([
    ['a number of epoch seconds', AT_SECONDS, AT],
    ['fractional epoch seconds', AT_SECONDS + 0.5, AT + 500],
    ['a string of epoch seconds', String(AT_SECONDS), AT],
    ['a string of epoch seconds with spaces around it', ` ${AT_SECONDS} `, AT],
    ['ISO 8601 with milliseconds', '2026-11-30T00:06:22.000Z', AT],
    ['ISO 8601 without milliseconds', '2026-11-30T00:06:22Z', AT],
    ['ISO 8601 with a zone offset', '2026-11-30T01:06:22+01:00', AT],
    ['ISO 8601 with microseconds', '2026-11-30T00:06:22.123456Z', AT + 123],
    ['RFC 1123', 'Mon, 30 Nov 2026 00:06:22 GMT', AT],
  ])('reads %s', (_name, value, expected) => {
    expect(parseExpiresOn(value)).toBe(expected)
  })

  it.each([
    ['00 PM as noon', '09/14/2017 00:00:00 PM +00:00', Date.UTC(2017, 8, 14, 12, 0, 0)],
    ['12 PM as noon', '09/14/2017 12:00:00 PM +00:00', Date.UTC(2017, 8, 14, 12, 0, 0)],
    ['12 AM as midnight', '09/14/2017 12:00:00 AM +00:00', Date.UTC(2017, 8, 14, 0, 0, 0)],
    ['00 AM as midnight', '09/14/2017 00:00:00 AM +00:00', Date.UTC(2017, 8, 14, 0, 0, 0)],
    ['an afternoon hour', '09/14/2017 01:05:09 PM +00:00', Date.UTC(2017, 8, 14, 13, 5, 9)],
    ['12:30 PM', '09/14/2017 12:30:00 PM +00:00', Date.UTC(2017, 8, 14, 12, 30, 0)],
    ['12:30 AM', '09/14/2017 12:30:00 AM +00:00', Date.UTC(2017, 8, 14, 0, 30, 0)],
    ['11:59:59 PM', '09/14/2017 11:59:59 PM +00:00', Date.UTC(2017, 8, 14, 23, 59, 59)],
    ['a negative offset', '09/14/2017 11:59:59 PM -07:00', Date.UTC(2017, 8, 15, 6, 59, 59)],
    ['a positive offset with minutes', '09/14/2017 01:00:00 AM +05:30', Date.UTC(2017, 8, 13, 19, 30, 0)],
    ['lower-case am/pm', '09/14/2017 03:00:00 pm +00:00', Date.UTC(2017, 8, 14, 15, 0, 0)],
  ])('reads the legacy App Service 2017 date with %s', (_name, value, expected) => {
    expect(parseExpiresOn(value)).toBe(expected)
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a boolean', true],
    ['an object', { value: AT_SECONDS }],
    ['zero', 0],
    ['a negative number', -5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an empty string', ''],
    ['a negative numeric string', '-5'],
    ['a word', 'tomorrow'],
    ['ISO 8601 without a zone (local time)', '2026-11-30T00:06:22'],
    ['a date only', '2026-11-30'],
    ['a legacy date with month 13', '13/14/2017 00:00:00 PM +00:00'],
    ['a legacy date on 30 February', '02/30/2017 00:00:00 PM +00:00'],
    ['a legacy date with hour 13', '09/14/2017 13:00:00 PM +00:00'],
    ['a legacy date with minute 60', '09/14/2017 01:60:00 PM +00:00'],
    ['a legacy date without AM/PM', '09/14/2017 01:00:00 +00:00'],
    ['a legacy date without an offset', '09/14/2017 01:00:00 PM'],
    ['a legacy date with a 24-hour offset', '09/14/2017 01:00:00 PM +24:00'],
  ])('refuses %s', (_name, value) => {
    expect(parseExpiresOn(value)).toBeUndefined()
  })
})

describe('parseSeconds()', () => {
  it('reads a positive number or numeric string', () => {
    expect(parseSeconds(3599)).toBe(3599)
    expect(parseSeconds('3599')).toBe(3599)
    expect(parseSeconds('1.5')).toBe(1.5)
  })

  it('refuses zero, negatives, words and other types', () => {
    for (const value of [0, '0', -1, '-1', 'soon', '', Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}]) {
      expect(parseSeconds(value)).toBeUndefined()
    }
  })
})
