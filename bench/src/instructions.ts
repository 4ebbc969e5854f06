/**
 * An experiment beside the benchmark, not part of `pnpm bench`: how many user-space instructions
 * a plugin-overhead server runs per request, counted by Valgrind's callgrind. A count does not
 * move with the machine's load, so a difference of 1 % between two servers shows in one run on a
 * shared VM, where their req/s move by several per cent from process to process.
 *
 * Each server is the bench's own (`http-server.js`, same variants), run under callgrind. It is
 * warmed up and settled as the bench settles its servers (`settle` in http-load.js), then loaded
 * once more between two callgrind dumps. The figure is the main thread's instructions (Ir) in
 * that window divided by the requests the route served; the background threads (V8's compiler
 * and GC helpers) are reported apart, as they move with timing. Kernel time (the `writev` that
 * sends a response, the network stack) is not counted: Valgrind sees user space only.
 *
 * Each process is also given its *state* (docs/benchmarks.md, "Start-up history"). A settled
 * server runs V8's runtime for the computed keys of Node's tick-object literal on every
 * `process.nextTick`; a server still in its fresh state does not. The instructions in
 * `Runtime_DefineKeyedOwnPropertyInLiteral` alone, per request, tell the two apart (thousands
 * against none). Under Valgrind the settle step has once left a server fresh, so the report says
 * which state each process was in, and counts compare only within one state.
 *
 * What it does not show: time. Two servers that run the same instructions can differ in speed
 * (caches, branch prediction, the kernel), and on this VM the req/s gap is larger than the
 * instruction gap (docs/benchmarks.md, "Instructions per request").
 *
 * Needs `valgrind` on the PATH (callgrind and `callgrind_control`). Usage:
 * `pnpm bench:instructions [--framework fastify|express] [--variants none,connected,await,keyless]
 * [--processes N] [--sec S]`, or after a build `node bench/dist/instructions.js …`. Under Valgrind
 * a server serves about 700 requests/s; the defaults (4 variants, 2 processes each, 3 loads of 20 s)
 * take about 10 minutes.
 *
 * @module
 */
import './loopback-guard.js'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmulatorProcess } from './emulator-client.js'
import { num } from './format.js'
import { failedOf, HTTP_VARIANTS_OF, load, settle, SETTLE_FULL_GCS, startServerProcess } from './http-load.js'
import type { Framework, HttpVariant } from './http-server.js'
import { median } from './stats.js'

/** One server's count over its measured load. */
interface Count {
  variant: HttpVariant
  served: number
  /** Main-thread instructions per request served. */
  main: number
  /** The other threads' instructions per request served. */
  others: number
  /** Main-thread instructions per request in {@link SETTLED_MARKER} itself: near 0 in a fresh server. */
  marker: number
}

/**
 * The V8 runtime function a settled server calls for each computed key of Node's tick-object
 * literal (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`), on every
 * `process.nextTick`: once the literal's map has been collected, its feedback is megamorphic and
 * optimized code no longer defines those keys inline.
 */
const SETTLED_MARKER = 'Runtime_DefineKeyedOwnPropertyInLiteral'
/** Per request, at or above this many instructions in {@link SETTLED_MARKER}, a process is settled. */
const SETTLED_MIN = 100

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'), // `pnpm bench:instructions -- …` passes the `--` on
  options: {
    framework: { type: 'string', default: 'fastify' },
    variants: { type: 'string', default: 'none,connected,await,keyless' },
    processes: { type: 'string', default: '2' },
    sec: { type: 'string', default: '20' },
  },
})
const framework = values.framework as Framework
if (framework !== 'fastify' && framework !== 'express') throw new Error('--framework is fastify or express')
const variants = values.variants.split(',') as HttpVariant[]
const unknown = variants.filter((variant) => !HTTP_VARIANTS_OF[framework].full.includes(variant))
if (unknown.length > 0) throw new Error(`--variants: ${unknown.join(', ')} not among ${framework}'s: ${HTTP_VARIANTS_OF[framework].full.join(', ')}`)
const processes = Number(values.processes)
const sec = Number(values.sec)
if (!(Number.isInteger(processes) && processes >= 1) || !(sec > 0)) throw new Error('--processes is a whole number ≥ 1, --sec a number > 0')

/** Whether `command` runs (exit code 0 for `--version`). */
function runs(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * The instructions in callgrind's last dump of process `pid`, by thread (`--separate-threads`
 * writes one file per thread and dump: `cg.PID.DUMP-THREAD`). Thread 01 is Node's main thread.
 */
function lastDump(dir: string, pid: number): { main: number; others: number; marker: number } {
  const files = readdirSync(dir).filter((name) => name.startsWith(`cg.${pid}.`))
  const dumpOf = (name: string): number => Number(name.slice(`cg.${pid}.`.length).split('-')[0])
  const last = Math.max(...files.map(dumpOf))
  let main = 0
  let others = 0
  let marker = 0
  for (const name of files.filter((file) => dumpOf(file) === last)) {
    const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, name), 'utf8'))
    if (totals === null) throw new Error(`no totals in callgrind's ${name}`)
    if (name.endsWith('-01')) {
      main += Number(totals[1])
      marker = selfInstructions(join(dir, name), SETTLED_MARKER)
    } else others += Number(totals[1])
  }
  return { main, others, marker }
}

/** The instructions spent in the function named `symbol` itself, from `callgrind_annotate`'s flat profile of `file`. */
function selfInstructions(file: string, symbol: string): number {
  const flat = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const line = flat.split('\n').find((row) => row.includes(`::${symbol}(`) || row.includes(`:${symbol} `))
  if (line === undefined) return 0
  const count = Number(line.trim().split(/\s+/)[0]?.replaceAll(',', ''))
  if (!Number.isFinite(count)) throw new Error(`callgrind_annotate's line for ${symbol} has no count: ${line}`)
  return count
}

async function countOne(variant: HttpVariant, emulatorUrl: string, dir: string): Promise<Count> {
  const launcher = {
    executable: 'valgrind',
    args: ['-q', '--tool=callgrind', '--separate-threads=yes', '--smc-check=all-non-file', '--dump-instr=no', `--callgrind-out-file=${join(dir, 'cg.%p')}`],
  }
  const server = await startServerProcess({ framework, variant, emulatorUrl }, [], launcher)
  try {
    let failed = failedOf(await load(server.url, sec))
    const settled = await settle(server, sec)
    if (settled.fullGcs !== SETTLE_FULL_GCS) throw new Error(`${variant}: the server ran ${settled.fullGcs} full GCs, not ${SETTLE_FULL_GCS}`)
    failed += settled.failed
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' })
    const before = await server.stats()
    failed += failedOf(await load(server.url, sec))
    const after = await server.stats()
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' })
    if (failed > 0) throw new Error(`${variant}: ${failed} requests failed`)
    const served = after.served - before.served
    const { main, others, marker } = lastDump(dir, server.pid)
    return { variant, served, main: main / served, others: others / served, marker: marker / served }
  } finally {
    await server.close()
  }
}

/** Whether a process ran settled: at least {@link SETTLED_MIN} {@link SETTLED_MARKER} instructions per request. */
function isSettled(count: Count): boolean {
  return count.marker >= SETTLED_MIN
}

/** A process's state, with its {@link SETTLED_MARKER} instructions per request. */
function stateOf(count: Count): string {
  return `${isSettled(count) ? 'settled' : 'fresh'} (${num(count.marker)})`
}

if (!runs('valgrind') || !runs('callgrind_control')) {
  process.stderr.write('bench:instructions needs Valgrind (valgrind and callgrind_control on the PATH)\n')
  process.exit(2)
}
const dir = mkdtempSync(join(tmpdir(), 'keyless-callgrind-'))
const emulator = await startEmulatorProcess()
const counts: Count[] = []
try {
  // Round-robin over the variants, so that no variant's processes all run first or last.
  for (let round = 0; round < processes; round++) {
    for (const variant of variants) {
      const count = await countOne(variant, emulator.url, dir)
      process.stderr.write(`${variant}: ${num(count.main)} main-thread instructions per request (${count.served} requests), ${stateOf(count)}\n`)
      counts.push(count)
    }
  }
} finally {
  await emulator.close()
  rmSync(dir, { recursive: true, force: true })
}

const baseline = median(counts.filter((count) => count.variant === 'none').map((count) => count.main))
const lines = [
  `# Instructions per request, ${framework} (callgrind, ${processes} process${processes === 1 ? '' : 'es'} per variant, ${sec} s loads, settle step run)`,
  '',
  `| variant | main thread, per request | ${Number.isFinite(baseline) ? '÷ `none` | ' : ''}each process | each process's state (${SETTLED_MARKER}, per request) | other threads, per request |`,
  `|---|--:|${Number.isFinite(baseline) ? '--:|' : ''}---|---|---|`,
]
for (const variant of variants) {
  const mine = counts.filter((count) => count.variant === variant)
  const main = median(mine.map((count) => count.main))
  const ratio = Number.isFinite(baseline) ? ` ${(main / baseline).toFixed(3)}× |` : ''
  lines.push(
    `| \`${variant}\` | ${num(main)} |${ratio} ${mine.map((count) => num(count.main)).join(', ')} | ${mine.map(stateOf).join(', ')} | ${mine.map((count) => num(count.others)).join(', ')} |`,
  )
}
const states = new Set(counts.map(isSettled))
if (states.size > 1) {
  lines.push('', 'The processes ran in different states: compare counts only between processes in the same state.')
}
process.stdout.write(`${lines.join('\n')}\n`)
