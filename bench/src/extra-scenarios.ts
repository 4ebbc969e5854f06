/**
 * The scenarios beyond the hot path, scaling, burst and plugin overhead: their tasks, results,
 * emulator options, and dispatch. Each module is loaded only by the process that runs it.
 *
 * @module
 */
import type { ColdStartResult } from './cold-start.js'
import type { EmulatorProcess } from './emulator-client.js'
import type { FailuresResult } from './failures.js'
import type { MemoryPhase, MemoryResult } from './memory.js'
import type { OutageFault, OutageResult } from './outage.js'
import type { RefreshResult } from './refresh-point.js'
import type { Contender } from './timed-subjects.js'
import type { WiSubject } from './wi-child.js'
import type { WiResult } from './wi-scenario.js'

interface Base {
  run: number
  quick: boolean
}
export type ExtraTask =
  | ({ kind: 'refresh'; subject: Contender } & Base)
  | ({ kind: 'outage'; subject: Contender; fault: OutageFault } & Base)
  | ({ kind: 'failures'; subject: Contender } & Base)
  | ({ kind: 'memory'; subject: Contender; phase: MemoryPhase } & Base)
  | ({ kind: 'cold-start'; subject: Contender } & Base)
  | ({ kind: 'wi'; subject: WiSubject } & Base)

export type ExtraResult = RefreshResult | OutageResult | FailuresResult | MemoryResult | ColdStartResult | WiResult
export type { ColdStartResult, FailuresResult, MemoryResult, OutageResult, RefreshResult, WiResult }

/** Runs one of these tasks in this process. */
export async function runExtra(task: ExtraTask, emulator: EmulatorProcess): Promise<ExtraResult> {
  switch (task.kind) {
    case 'refresh':
      return (await import('./refresh-point.js')).refreshPoint(task, emulator)
    case 'outage':
      return (await import('./outage.js')).outage(task, emulator)
    case 'failures':
      return (await import('./failures.js')).failures(task, emulator)
    case 'memory':
      return (await import('./memory.js')).memory(task, emulator)
    case 'cold-start':
      return (await import('./cold-start.js')).coldStart(task, emulator)
    case 'wi':
      return (await import('./wi-scenario.js')).workloadIdentityScenario(task, emulator)
    default:
      throw new Error(`unknown scenario ${JSON.stringify(task)}`)
  }
}
