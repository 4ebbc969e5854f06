import fc from 'fast-check'

/**
 * Environment values a mangled deployment could hold: realistic ones, broken ones (controls, CR/LF,
 * NUL, unicode, huge), empty, or absent. The environment fuzz suites of keyless, app-service and
 * workload-identity share it; the core fuzz suites have a fuller hostile set of their own.
 */
export function envValue(...realistic: string[]): fc.Arbitrary<string | undefined> {
  const broken = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\r\n', 'a\r\nX-Injected: 1', '\0', '\u0085', '\u2028', '__proto__', 'constructor', 'NaN', '-1', '%0d%0a', 'undefined', 'null'),
    fc.tuple(fc.constantFrom('a', '\r', 'é', '/'), fc.integer({ min: 1000, max: 70_000 })).map(([c, n]) => c.repeat(n)),
  )
  const bent = fc.tuple(fc.constantFrom(...realistic), fc.nat(), fc.constantFrom('\r', '\n', '\t', ' ', '\0', '\u007f', '@', '#', '?', '/../', '%')).map(
    ([value, at, insert]) => value.slice(0, at % (value.length + 1)) + insert + value.slice(at % (value.length + 1)),
  )
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...realistic) },
    { weight: 2, arbitrary: bent },
    { weight: 2, arbitrary: broken },
  )
}

/** Sets every variable of `env` in process.env (undefined unsets it); unstubEnvs restores them. */
export function stubEnv(vi: { stubEnv(name: string, value: string | undefined): unknown }, env: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
}
