import fc from 'fast-check'

/**
 * Hostile input for the fuzz suites: what a broken or malicious endpoint, a mangled environment or
 * a careless caller could hand keyless.
 */

/** Characters that break things: controls (C0, DEL, C1), line and paragraph separators, NBSP, BOM, lone surrogates. */
export const nastyChar: fc.Arbitrary<string> = fc.constantFrom(
  '\r', '\n', '\r\n', '\t', '\0', '\u0007', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ud800', '\udfff', ' ', '%0d%0a', '"', '\\', '/', '.',
)

/** Keys that pollute prototypes or impersonate fields. */
export const nastyKey: fc.Arbitrary<string> = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then')

/** Numbers at the edges: NaN, ±Infinity, −0, huge, tiny, negative, fractional, beyond 2^53. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1, -1, 0.5, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, 1e12, 1e13, 1e15, 1e21, 1e308),
  fc.double(),
  fc.integer(),
  fc.integer({ min: 1_000_000_000, max: 9_999_999_999 }), // plausible epoch seconds
)

/** Numbers written as strings, in the forms a parser might half-accept. */
export const numericString: fc.Arbitrary<string> = fc.oneof(
  edgeNumber.map(String),
  fc.integer({ min: 0, max: 99_999_999_999 }).map(String),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e3', '0x10', '0b1', '0o7', '1_000', '+1', '-1', '.5', '5.', '1.2.3', '١٢٣', '１２３', '0'.repeat(40), '9'.repeat(400), ' 3599 ', '\t3599\n'),
)

/** A short piece of text of any kind. */
const piece: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  nastyChar,
  nastyKey,
  numericString,
)

/** Strings of every kind, some of them huge (up to about a megabyte). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  { weight: 1, arbitrary: fc.tuple(piece, fc.integer({ min: 1000, max: 100_000 })).map(([part, times]) => (part === '' ? 'x' : part).repeat(times).slice(0, 1_100_000)) },
)

/** Any value at all, nested, with prototype-polluting keys, odd numbers and hostile strings. */
export const hostileValue: fc.Arbitrary<unknown> = fc.anything({
  key: fc.oneof(fc.string({ maxLength: 8 }), nastyKey, fc.constantFrom('access_token', 'expires_on', 'expires_in', 'error', 'code')),
  values: [hostileString, edgeNumber, fc.boolean(), fc.constant(null), fc.constant(undefined)],
  maxDepth: 3,
  maxKeys: 6,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withTypedArray: true,
})

/** Own properties set as JSON.parse sets them: `__proto__` becomes a plain own key, not the prototype. */
export function fromJsonEntries(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  return object
}
