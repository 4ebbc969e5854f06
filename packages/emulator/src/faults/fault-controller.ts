/**
 * The fault script of one emulator: what the next token request gets instead of a normal answer.
 *
 * @module
 */
import { parseFaultStep, parseLatencyMs } from './fault-step.js'
import type { FaultStep } from './fault-step.js'

/**
 * Scripts faults on token requests, at runtime, from test code (`emulator.faults`). The same
 * operations are reachable over HTTP with `POST /_admin/faults`.
 *
 * Order per token request: the next scripted step if any, else the `always` step if set, else a
 * normal answer. Faults apply only to requests that pass protocol validation, so a malformed
 * request still gets its 400 and does not use up a step.
 */
export interface Faults {
  /** Appends steps to the script; each token request consumes one. Throws `ERR_EMULATOR_FAULT` for an invalid step. */
  enqueue(...steps: FaultStep[]): void
  /** Applies `step` to every token request once the script is used up, until `clear()`. */
  always(step: FaultStep): void
  /** Delays every answer (faults and 400s included) by `ms` real milliseconds; `0` turns it off. */
  latencyMs(ms: number): void
  /** Empties the script, drops the `always` step and the latency. */
  clear(): void
  /** Steps of the script not consumed yet. */
  readonly pending: number
}

/** The controller's side the server reads; internal. */
export interface FaultController {
  readonly faults: Faults
  /** Takes the step for the current token request, or `undefined` for a normal answer. */
  take(): FaultStep | undefined
  /** The current added latency in ms. */
  readonly latency: number
}

/** Creates an empty fault script. */
export function createFaultController(): FaultController {
  const script: FaultStep[] = []
  let always: FaultStep | undefined
  let latency = 0

  const faults: Faults = {
    enqueue(...steps) {
      script.push(...steps.map((step) => parseFaultStep(step)))
    },
    always(step) {
      always = parseFaultStep(step)
    },
    latencyMs(ms) {
      latency = parseLatencyMs(ms)
    },
    clear() {
      script.length = 0
      always = undefined
      latency = 0
    },
    get pending() {
      return script.length
    },
  }
  return {
    faults,
    take: () => script.shift() ?? always,
    get latency() {
      return latency
    },
  }
}
