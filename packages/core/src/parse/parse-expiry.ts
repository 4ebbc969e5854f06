/**
 * Reads every expiry form the managed-identity endpoints are known to send.
 *
 * @module
 */

const EPOCH_SECONDS = /^\d{1,12}(?:\.\d+)?$/
/** ISO 8601 with an explicit zone; a zone-less form would be read in the host's local time. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/
/** RFC 1123 / IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const RFC_1123 = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/
/**
 * Legacy App Service 2017-09-01, .NET `MM/dd/yyyy hh:mm:ss tt zzz`:
 * `09/14/2017 00:00:00 PM +00:00` (reference/protocols.md §4).
 */
const LEGACY_APP_SERVICE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M) ([+-])(\d{2}):(\d{2})$/i

/**
 * Reads an `expires_on` (or `refresh_on`) value into epoch milliseconds, or `undefined` when it is
 * absent or in no known form.
 *
 * Accepted, in this order (reference/protocols.md §1.4, §4):
 * - a number of epoch seconds (`1565244611`, Service Fabric);
 * - a string of epoch seconds (`"1506484173"`, IMDS and App Service);
 * - ISO 8601 with a zone, with or without fractional seconds (`2026-11-30T00:06:22Z`);
 * - RFC 1123 (`Mon, 30 Nov 2026 00:06:22 GMT`);
 * - the legacy App Service 2017 form `MM/DD/YYYY hh:mm:ss AM|PM ±hh:mm`, where hour `00` with `PM`
 *   is noon (the endpoint's own quirk) and `12 AM` is midnight.
 *
 * Other strings are refused rather than handed to `Date.parse`, whose reading of them depends on
 * the runtime and the host's time zone. Never throws.
 *
 * @example
 * ```ts
 * parseExpiresOn('1506484173') // 1506484173000
 * parseExpiresOn('09/14/2017 00:00:00 PM +00:00') // Date.UTC(2017, 8, 14, 12)
 * ```
 */
export function parseExpiresOn(value: unknown): number | undefined {
  if (typeof value === 'number') return positiveMs(value * 1000)
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (EPOCH_SECONDS.test(text)) {
    return positiveMs(Number(text) * 1000)
  }
  if (ISO_8601.test(text) || RFC_1123.test(text)) {
    const at = Date.parse(text)
    return Number.isFinite(at) ? at : undefined
  }
  return parseLegacyDate(text)
}

/**
 * Reads a number of seconds given as a number or a numeric string (`expires_in`, `refresh_in`),
 * or `undefined` unless it is finite and greater than zero.
 *
 * @example
 * ```ts
 * parseSeconds('3599') // 3599
 * parseSeconds('soon') // undefined
 * ```
 */
export function parseSeconds(value: unknown): number | undefined {
  let seconds: number
  if (typeof value === 'number') seconds = value
  else if (typeof value === 'string' && EPOCH_SECONDS.test(value.trim())) seconds = Number(value.trim())
  else return undefined
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined
}

/** `ms` rounded, if that is finite and > 0: a huge number of seconds overflows to Infinity, a tiny one rounds to 0. */
function positiveMs(ms: number): number | undefined {
  const rounded = Math.round(ms)
  return Number.isFinite(rounded) && rounded > 0 ? rounded : undefined
}

function parseLegacyDate(text: string): number | undefined {
  const match = LEGACY_APP_SERVICE.exec(text)
  if (match === null) return undefined
  const [month, day, year, hour, minute, second, , , offsetHours, offsetMinutes] = match.slice(1, 11).map(Number) as [
    number, number, number, number, number, number, number, number, number, number,
  ]
  const pm = match[7]?.toUpperCase() === 'PM'
  const sign = match[8] === '-' ? -1 : 1
  if (month < 1 || month > 12 || day < 1 || hour > 12 || minute > 59 || second > 59) return undefined
  if (offsetHours > 14 || offsetMinutes > 59) return undefined
  // 12-hour clock: 12 AM is 0; 12 PM and the endpoint's "00 PM" are noon (protocols.md §4).
  const hour24 = (hour % 12) + (pm ? 12 : 0)
  const local = Date.UTC(year, month - 1, day, hour24, minute, second)
  if (new Date(local).getUTCDate() !== day) return undefined // 02/30 and the like
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000
}
