/**
 * Scenario parameters that both the orchestrator and the report need, without loading a scenario.
 *
 * @module
 */

/** Cold-burst shapes: 1000 callers over `scopes` cold scopes, at `latencyMs` of endpoint latency. */
export const BURST_SHAPES = [
  { scopes: 1, latencyMs: 0 },
  { scopes: 10, latencyMs: 0 },
  { scopes: 1, latencyMs: 100 },
  { scopes: 10, latencyMs: 100 },
] as const

/** How the endpoint is down in the outage scenario. */
export const OUTAGE_FAULTS = ['503', 'reset'] as const

/** The Workload Identity scenario's subjects. */
export const WI_SUBJECTS = ['keyless', 'azure-mi', 'azure-wic'] as const

/** Concurrent callers of the hot path's concurrent half. */
export const CONCURRENT_CALLERS = 64

/** Scopes hit in the scaling scenario, out of the 1000 cached. */
export const SCALING_SCOPES = [1, 10, 100, 1000] as const
