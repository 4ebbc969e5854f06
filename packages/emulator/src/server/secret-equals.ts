/**
 * Compares a received secret header with the expected value in constant time.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'

/**
 * Whether `received` (a header as Node parsed it) equals `expected`. A header sent twice
 * arrives joined with `, ` or as an array, and never matches.
 */
export function secretEquals(received: string | string[] | undefined, expected: string): boolean {
  if (typeof received !== 'string') return false
  const a = Buffer.from(received, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}
