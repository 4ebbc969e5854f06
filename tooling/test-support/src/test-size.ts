/**
 * How big the soak, fuzz and property suites run: a CI-sized default, and environment variables
 * for longer local runs (docs/reliability.md, "Running longer").
 *
 * - `KEYLESS_SOAK_DAYS`: simulated days of the soak (default 7).
 * - `KEYLESS_FUZZ_SCALE`: multiplier of every fuzz and property suite's case count (default 1).
 * - `KEYLESS_TEST_SEED`: seed of the soak's PRNG and of fast-check (default: fixed seeds, so CI runs
 *   the same cases every time; `random` draws a new seed per run to explore, printed on failure).
 *
 * @module
 */

/** Simulated days the soak runs when `KEYLESS_SOAK_DAYS` is not set. */
export const DEFAULT_SOAK_DAYS = 7
/** The soak's seed when `KEYLESS_TEST_SEED` is not set. */
export const DEFAULT_SOAK_SEED = 20261130
/** fast-check's seed when `KEYLESS_TEST_SEED` is not set: the same cases in every CI run. */
export const DEFAULT_FUZZ_SEED = 6_611_221

/** The seed `KEYLESS_TEST_SEED=random` draws, once per test worker (printed by fast-check with any counterexample). */
const randomSeed = Math.floor(Math.random() * 2 ** 31)

/** What the cost knobs say, read from `env` (default `process.env`); a malformed value throws. */
export interface TestSize {
  /** Simulated days of the soak. */
  readonly soakDays: number
  /** Multiplier of fuzz and property case counts. */
  readonly fuzzScale: number
  /** The seed given by `KEYLESS_TEST_SEED` (`random`: a fresh one drawn for this run), if any. */
  readonly seed: number | undefined
}

/**
 * Reads the knobs. Throws on a malformed value rather than silently running the default size.
 *
 * @example
 * ```ts
 * const { soakDays } = testSize() // 7, or KEYLESS_SOAK_DAYS
 * ```
 */
export function testSize(env: Readonly<Record<string, string | undefined>> = process.env): TestSize {
  const read = (name: string, fallback: number | undefined, valid: (n: number) => boolean): number | undefined => {
    const text = env[name]
    if (text === undefined || text.trim() === '') return fallback
    const value = Number(text)
    if (!valid(value)) throw new Error(`${name}=${text} is not valid; see docs/reliability.md, "Running longer"`)
    return value
  }
  return {
    soakDays: read('KEYLESS_SOAK_DAYS', DEFAULT_SOAK_DAYS, (n) => Number.isInteger(n) && n >= 1) as number,
    fuzzScale: read('KEYLESS_FUZZ_SCALE', 1, (n) => Number.isFinite(n) && n > 0) as number,
    seed:
      env['KEYLESS_TEST_SEED']?.trim() === 'random'
        ? randomSeed
        : read('KEYLESS_TEST_SEED', undefined, (n) => Number.isSafeInteger(n)),
  }
}

/**
 * fast-check parameters for a suite whose CI size is `baseRuns` cases: scaled by
 * `KEYLESS_FUZZ_SCALE`, seeded by `KEYLESS_TEST_SEED` when given and by {@link DEFAULT_FUZZ_SEED}
 * otherwise, so a CI run never goes red on a case the previous one did not try.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.string(), check), fuzzParameters(10_000))
 * ```
 */
export function fuzzParameters(baseRuns: number, env?: Readonly<Record<string, string | undefined>>): { numRuns: number; seed: number } {
  const { fuzzScale, seed } = testSize(env)
  const numRuns = Math.max(1, Math.round(baseRuns * fuzzScale))
  return { numRuns, seed: seed ?? DEFAULT_FUZZ_SEED }
}

/**
 * The per-test timeout of a fuzz or property suite: 60 s at the CI size (a few seconds of work,
 * with room for a loaded 2-core machine), scaled by `KEYLESS_FUZZ_SCALE`.
 *
 * @example
 * ```ts
 * vi.setConfig({ testTimeout: fuzzTimeoutMs() })
 * ```
 */
export function fuzzTimeoutMs(env?: Readonly<Record<string, string | undefined>>): number {
  return Math.round(60_000 * Math.max(1, testSize(env).fuzzScale))
}
