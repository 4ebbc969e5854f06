/**
 * Helpers shared by keyless's own tests. Private: never published.
 *
 * @module
 */
export { settle, useEngineFakeTimers } from './engine-clock.js'
export { DEFAULT_FUZZ_SEED, DEFAULT_SOAK_DAYS, DEFAULT_SOAK_SEED, fuzzParameters, fuzzTimeoutMs, testSize, type TestSize } from './test-size.js'
export { envValue, stubEnv } from './hostile-env.js'
export { fullGc } from './full-gc.js'
export { eventLoopTurns, madeByRunner, trackHandles, type HandleTracker, type LiveHandle } from './handle-tracker.js'
export { captureWarnings } from './process-warnings.js'
export { seededRandom } from './seeded-random.js'
export { TSC, typecheck } from './typecheck.js'
