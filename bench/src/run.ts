/**
 * The keyless benchmark: runs every scenario in its own child process, several times, and prints
 * the medians and ratios against the floor and `@azure/identity`. Writes the same report to
 * `bench/results/latest.md` and `latest.json`.
 *
 * Usage: `node bench/dist/run.js [--quick] [--runs N]` (N ≥ 3; default 5, or 3 with --quick).
 *
 * @module
 */
import './loopback-guard.js'
import { fork } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BURST_SHAPES, OUTAGE_FAULTS, WI_SUBJECTS } from './constants.js'
import { HTTP_FRAMEWORKS } from './report-http.js'
import { describeTask, renderReport, summarize, type RunRecord, type Settings } from './report.js'
import { rotated } from './rotated.js'
import { SHARED_EMULATOR_ENV, startEmulatorProcess, type EmulatorProcess, type RelayMessage } from './emulator-client.js'
import type { ScenarioMessage, ScenarioResult, ScenarioTask } from './scenario.js'

const SCENARIO = fileURLToPath(new URL('./scenario.js', import.meta.url))
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))
const CHILD_TIMEOUT_MS = 120_000

/** Flags of the allocation processes: gc() exposed, and a new space so large no scavenge runs in the loop. */
const ALLOC_FLAGS = ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=512']

/** Variables that could point an SDK anywhere but the emulator, or through a proxy: removed from children. */
const STRIPPED_ENV =
  /^(AZURE_.*|IDENTITY_.*|MSI_.*|IMDS_ENDPOINT|KEYLESS_.*|ACTIONS_ID_TOKEN_.*|(HTTPS?|ALL|NO)_PROXY|NODE_OPTIONS|NODE_DEBUG)$/i

function parseArgs(given: readonly string[]): Settings {
  const argv = given.filter((arg) => arg !== '--') // `pnpm bench -- --quick` passes the separator on
  const quick = argv.includes('--quick')
  const at = argv.indexOf('--runs')
  const runs = at === -1 ? (quick ? 3 : 5) : Number(argv[at + 1])
  if (!Number.isInteger(runs) || runs < 3) throw new Error('--runs takes an integer ≥ 3 (the median needs at least 3 runs)')
  const unknown = argv.filter((arg, i) => arg !== '--quick' && arg !== '--runs' && !(i === at + 1 && at !== -1))
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')}; usage: run.js [--quick] [--runs N]`)
  return { quick, runs }
}

function childEnv(shared: EmulatorProcess): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!STRIPPED_ENV.test(name)) env[name] = value
  env[SHARED_EMULATOR_ENV] = JSON.stringify({ url: shared.url, wiEnv: shared.wiEnv })
  return env
}

/** Runs one task in a fresh process and resolves with its result (or rejects with its error). */
function runChild(task: ScenarioTask, execArgv: string[], shared: EmulatorProcess): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SCENARIO, [JSON.stringify(task)], { execArgv, env: childEnv(shared), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let message: ScenarioMessage | undefined
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out after ${CHILD_TIMEOUT_MS / 1000} s`))
    }, CHILD_TIMEOUT_MS)
    child.on('message', (m: ScenarioMessage | RelayMessage) => {
      if ('channel' in m && m.channel === 'emulator') {
        // The scenario asks the shared emulator: relay it, and the reply back with the scenario's id.
        const { channel: _channel, type, id, ...payload } = m
        void shared.ask(type, payload).then((reply) => {
          if (child.connected) child.send({ ...reply, channel: 'emulator', type, id })
        })
      } else message = m as ScenarioMessage
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (message?.ok === true) resolve(message.result)
      else reject(new Error(message?.ok === false ? message.error : `exited with ${signal ?? code} and no result`))
    })
  })
}

/** The cold-burst shapes --quick runs: the two ends (1 scope at 0 ms, 10 scopes at 100 ms). */
const QUICK_BURST_SHAPES: ReadonlySet<(typeof BURST_SHAPES)[number]> = new Set([BURST_SHAPES[0], BURST_SHAPES[3]])

/** Scenarios that take seconds per process run in the first this many runs only (medians of 3). */
const SLOW_RUNS = 3

/** The tasks of one run; subject order rotates with the run, so drift does not always favour one. */
function tasksOf(run: number, quick: boolean): { task: ScenarioTask; execArgv: string[] }[] {
  const rotate = <T>(items: readonly T[]): T[] => rotated(items, run)
  // --quick leaves out the harness-only subject: it has no target and only explains the others' figures.
  const hot = rotate(quick ? (['floor', 'keyless', 'azure'] as const) : (['floor', 'keyless', 'azure', 'baseline'] as const))
  const contenders = rotate(['keyless', 'azure'] as const)
  const base = { run, quick }
  const plain = (task: ScenarioTask): { task: ScenarioTask; execArgv: string[] } => ({ task, execArgv: [] })
  const slow = run < SLOW_RUNS
  return [
    ...hot.map((subject) => plain({ kind: 'hot-time', subject, ...base })),
    ...hot.map((subject) => ({ task: { kind: 'hot-alloc', subject, ...base } as ScenarioTask, execArgv: ALLOC_FLAGS })),
    ...rotate(['keyless', 'floor'] as const).map((subject) => plain({ kind: 'scaling', subject, ...base })),
    ...BURST_SHAPES.filter((shape) => (quick ? QUICK_BURST_SHAPES.has(shape) : slow || (shape.scopes === 1 && shape.latencyMs === 0))).flatMap((shape) =>
      contenders.map((subject) => plain({ kind: 'burst', subject, ...shape, ...base })),
    ),
    ...contenders.map((subject) => plain({ kind: 'cold-start', subject, ...base })),
    ...(slow
      ? [
          ...contenders.map((subject) => plain({ kind: 'refresh', subject, ...base })),
          ...(quick ? OUTAGE_FAULTS.slice(0, 1) : OUTAGE_FAULTS).flatMap((fault) => contenders.map((subject) => plain({ kind: 'outage', subject, fault, ...base }))),
          ...contenders.map((subject) => plain({ kind: 'failures', subject, ...base })),
          // --quick measures the memory target's phase only; the hits phase (no target) is the slowest process of all.
          ...(quick ? (['upstream'] as const) : (['upstream', 'hits'] as const)).flatMap((phase) =>
            contenders.map((subject) => ({ task: { kind: 'memory', subject, phase, ...base } as ScenarioTask, execArgv: ['--expose-gc'] })),
          ),
          ...rotate(WI_SUBJECTS).map((subject) => plain({ kind: 'wi', subject, ...base })),
          // Plugin overhead: one process per framework runs all its variants, interleaved in time.
          ...rotate(HTTP_FRAMEWORKS).map((framework) => plain({ kind: 'http', framework, ...base })),
        ]
      : []),
  ]
}

let settings: Settings
try {
  settings = parseArgs(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`)
  process.exit(2)
}
const startedAt = new Date()
const t0 = process.hrtime.bigint()
const records: RunRecord[] = []
const log = (line: string): boolean => process.stderr.write(`${line}\n`)
// One emulator process for the whole bench, reset by each scenario before it starts (a scenario
// that needs emulator options of its own forks its own).
const shared = await startEmulatorProcess()
log(`keyless bench: ${settings.quick ? 'quick' : 'full'}, ${settings.runs} runs of each scenario, each in its own process`)
for (let run = 0; run < settings.runs; run++) {
  for (const { task, execArgv } of tasksOf(run, settings.quick)) {
    const began = process.hrtime.bigint()
    try {
      const result = await runChild(task, execArgv, shared)
      records.push({ task, execArgv, result })
      log(`  run ${run + 1}/${settings.runs} ${describeTask(task).padEnd(30)} ok   ${(Number(process.hrtime.bigint() - began) / 1e9).toFixed(1)} s`)
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error)
      records.push({ task, execArgv, error: text })
      log(`  run ${run + 1}/${settings.runs} ${describeTask(task).padEnd(30)} FAILED: ${text.split('\n')[0]}`)
    }
  }
}
const durationMs = Number(process.hrtime.bigint() - t0) / 1e6
await shared.close()

const cpus = os.cpus()
const meta = {
  date: startedAt.toISOString(),
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  mode: settings.quick ? 'quick' : 'full',
  runs: settings.runs,
  durationMs,
  command: `node bench/dist/run.js ${process.argv.slice(2).join(' ')}`.trim(),
}
const summary = summarize(records)
const markdown = renderReport(meta, summary)
process.stdout.write(`${markdown}\n`)
await mkdir(RESULTS, { recursive: true })
await writeFile(join(RESULTS, 'latest.md'), `${markdown}\n`)
await writeFile(join(RESULTS, 'latest.json'), `${JSON.stringify({ meta, summary, records }, null, 2)}\n`)
log(`wrote bench/results/latest.md and latest.json (${(durationMs / 1000).toFixed(1)} s)`)
if (records.some((r) => r.error !== undefined)) process.exitCode = 1
