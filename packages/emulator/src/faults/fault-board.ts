/**
 * The fault scripts of one emulator: one shared by every token endpoint, and one per endpoint.
 *
 * @module
 */
import { EmulatorError } from '../emulator-error.js'
import { TOKEN_ENDPOINTS, isTokenEndpoint } from '../token-endpoint.js'
import type { TokenEndpoint } from '../token-endpoint.js'
import { createFaultController } from './fault-controller.js'
import type { FaultController, Faults } from './fault-controller.js'
import type { FaultStep } from './fault-step.js'

/** Every script, and what a request to one endpoint gets from them; internal. */
export interface FaultBoard {
  /** The shared script (`emulator.faults`). */
  readonly shared: Faults
  /** The script of one endpoint. Throws `ERR_EMULATOR_CONFIG` for an unknown endpoint. */
  faultsFor(endpoint: TokenEndpoint): Faults
  /**
   * The step for one request to `endpoint`: the endpoint's script, then its `always` step,
   * then the shared script, then the shared `always` step.
   */
  take(endpoint: TokenEndpoint): FaultStep | undefined
  /** The added latency for `endpoint`: its own when set, else the shared one. */
  latency(endpoint: TokenEndpoint): number
  /** Clears every script. */
  clear(): void
}

/** Creates the shared script and one empty script per token endpoint. */
export function createFaultBoard(): FaultBoard {
  const shared = createFaultController()
  const own = new Map<TokenEndpoint, FaultController>(TOKEN_ENDPOINTS.map((endpoint) => [endpoint, createFaultController()]))
  const controllerOf = (endpoint: TokenEndpoint): FaultController => {
    const controller = isTokenEndpoint(endpoint) ? own.get(endpoint) : undefined
    if (controller === undefined) {
      throw new EmulatorError('ERR_EMULATOR_CONFIG', `faultsFor(): unknown endpoint; use one of ${TOKEN_ENDPOINTS.join(', ')}`)
    }
    return controller
  }
  return {
    shared: shared.faults,
    faultsFor: (endpoint) => controllerOf(endpoint).faults,
    take: (endpoint) => controllerOf(endpoint).take() ?? shared.take(),
    latency(endpoint) {
      const latency = controllerOf(endpoint).latency
      return latency > 0 ? latency : shared.latency
    },
    clear() {
      shared.faults.clear()
      for (const controller of own.values()) controller.faults.clear()
    },
  }
}
