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
 * With `--functions N`, it also says where the instructions go: the servers run with
 * `--perf-basic-prof`, so that V8's generated code has names, and for every variant after the
 * first the report lists the N functions (JavaScript, builtins, V8's C++) whose own instructions
 * per request differ most from the first variant's, as means over each variant's processes.
 *
 * Needs `valgrind` on the PATH (callgrind and `callgrind_control`). Usage:
 * `pnpm bench:instructions [--framework fastify|express] [--variants none,connected,await,keyless]
 * [--processes N] [--sec S] [--functions N]`, or after a build `node bench/dist/instructions.js …`.
 * Under Valgrind a server serves about 700 requests/s; the defaults (4 variants, 2 processes each,
 * 3 loads of 20 s) take about 10 minutes.
 *
 * @module
 */
import './loopback-guard.js'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startEmulatorProcess } from './emulator-client.js'
import { num, ratio3 } from './format.js'
import { failedOf, HTTP_VARIANTS_OF, load, settle, SETTLE_FULL_GCS, startServerProcess } from './http-load.js'
import type { Framework, HttpVariant } from './http-server.js'
import { perfMapPath, readJitNames } from './jit-names.js'
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
  /** With `--functions`: main-thread instructions per request in each function itself. */
  functions: Map<string, number> | undefined
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
/** The repository's root folder, with its trailing slash (this file is `bench/dist/instructions.js`). */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'), // `pnpm bench:instructions -- …` passes the `--` on
  options: {
    framework: { type: 'string', default: 'fastify' },
    variants: { type: 'string', default: 'none,connected,await,keyless' },
    processes: { type: 'string', default: '2' },
    sec: { type: 'string', default: '20' },
    functions: { type: 'string', default: '0' },
  },
})
const framework = values.framework as Framework
if (framework !== 'fastify' && framework !== 'express') throw new Error('--framework is fastify or express')
const variants = values.variants.split(',') as HttpVariant[]
const unknown = variants.filter((variant) => !HTTP_VARIANTS_OF[framework].full.includes(variant))
if (unknown.length > 0) throw new Error(`--variants: ${unknown.join(', ')} not among ${framework}'s: ${HTTP_VARIANTS_OF[framework].full.join(', ')}`)
const processes = Number(values.processes)
const sec = Number(values.sec)
const functionRows = Number(values.functions)
if (!(Number.isInteger(processes) && processes >= 1) || !(sec > 0)) throw new Error('--processes is a whole number ≥ 1, --sec a number > 0')
if (!(Number.isInteger(functionRows) && functionRows >= 0)) throw new Error('--functions is a whole number ≥ 0')

/** Whether `command` runs (exit code 0 for `--version`). */
function runs(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** What callgrind's last dump of one process holds: instructions by thread, and by function on the main thread. */
interface Dump {
  main: number
  others: number
  /** The main thread's instructions in each function itself, by callgrind's name for it. */
  flat: Map<string, number>
}

/**
 * The instructions in callgrind's last dump of process `pid`, by thread (`--separate-threads`
 * writes one file per thread and dump: `cg.PID.DUMP-THREAD`). Thread 01 is Node's main thread.
 */
function lastDump(dir: string, pid: number): Dump {
  const files = readdirSync(dir).filter((name) => name.startsWith(`cg.${pid}.`))
  const dumpOf = (name: string): number => Number(name.slice(`cg.${pid}.`.length).split('-')[0])
  const last = Math.max(...files.map(dumpOf))
  let main = 0
  let others = 0
  let flat = new Map<string, number>()
  for (const name of files.filter((file) => dumpOf(file) === last)) {
    const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, name), 'utf8'))
    if (totals === null) throw new Error(`no totals in callgrind's ${name}`)
    if (name.endsWith('-01')) {
      main += Number(totals[1])
      flat = flatProfile(join(dir, name))
    } else others += Number(totals[1])
  }
  return { main, others, flat }
}

/**
 * The instructions spent in each function itself, from `callgrind_annotate`'s flat profile of
 * `file`, keyed by its `file:function [object]` label (`???:Builtins_LoadIC_Megamorphic
 * [/usr/bin/node]`; generated code is `???:0x… [???]`).
 */
function flatProfile(file: string): Map<string, number> {
  const flat = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const counts = new Map<string, number>()
  for (const row of flat.split('\n')) {
    const match = /^\s*([\d,]+) (?:\([^)]*\))?\s*(\S.*)$/.exec(row)
    if (match === null || (match[2] as string).startsWith('PROGRAM TOTALS')) continue
    const label = match[2] as string
    counts.set(label, (counts.get(label) ?? 0) + Number((match[1] as string).replaceAll(',', '')))
  }
  return counts
}

/** The instructions in the function named `symbol` itself (C++ `ns::symbol(…)` or a builtin's `symbol`), or 0. */
function selfInstructions(flat: Map<string, number>, symbol: string): number {
  for (const [label, count] of flat) if (label.includes(`::${symbol}(`) || label.includes(`:${symbol} [`)) return count
  return 0
}

/**
 * A process's flat profile per request, by function: generated code (object `???`) named by
 * `nameOf`, C++ names without their parameter lists, callgrind's recursion marks (`'2`) dropped.
 * Left out: rows that only sum others (`main`, the event loop: callgrind lists a function that
 * calls into code it cannot see as spending all of it), and unnamed addresses in binaries.
 */
function perRequest(flat: Map<string, number>, served: number, nameOf: (address: number) => string): Map<string, number> {
  const functions = new Map<string, number>()
  for (const [label, count] of flat) {
    const [, where = label, object = ''] = /^(.*?)(?: \[([^\]]*)\])?$/.exec(label) ?? []
    const fn = where.slice(where.indexOf(':') + 1).replace(/'\d+$/, '') // `file:function`; no file name holds a colon
    if (/^(?:main|\(below main\))$|__libc_start|NodeMainInstance::Run|SpinEventLoop|node::Start\(/.test(fn)) continue
    const address = /^0x([0-9a-f]+)$/.exec(fn)
    if (address !== null && object !== '???') continue
    const name = address === null ? fn.replace(/\((?:[^()]|\([^()]*\))*\)(?: const)?$/, '()') : `JS ${nameOf(Number.parseInt(address[1] as string, 16))}`
    functions.set(name, (functions.get(name) ?? 0) + count / served)
  }
  return functions
}

async function countOne(variant: HttpVariant, emulatorUrl: string, dir: string): Promise<Count> {
  const launcher = {
    executable: 'valgrind',
    args: ['-q', '--tool=callgrind', '--separate-threads=yes', '--smc-check=all-non-file', '--dump-instr=no', `--callgrind-out-file=${join(dir, 'cg.%p')}`],
  }
  // --perf-basic-prof also turns V8's log on; it goes to the temporary directory.
  const named = functionRows > 0 ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`] : []
  const server = await startServerProcess({ framework, variant, emulatorUrl }, { execArgv: named, launcher })
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
    const { main, others, flat } = lastDump(dir, server.pid)
    await server.close() // V8 has written its whole map once the server has exited
    const functions = functionRows > 0 ? perRequest(flat, served, readJitNames(server.pid)) : undefined
    return { variant, served, main: main / served, others: others / served, marker: selfInstructions(flat, SETTLED_MARKER) / served, functions }
  } finally {
    await server.close() // returns at once if the server has exited already
    if (functionRows > 0) rmSync(perfMapPath(server.pid), { force: true }) // read or not, the map goes
  }
}

/** Each function's instructions per request, averaged over `counts` (a function missing from a process counts 0 there). */
function meanFunctions(counts: readonly Count[]): Map<string, number> {
  const mean = new Map<string, number>()
  for (const count of counts) {
    for (const [name, perRequest] of count.functions ?? []) mean.set(name, (mean.get(name) ?? 0) + perRequest / counts.length)
  }
  return mean
}

/** The `--functions` table of `variant` against `base`: the functions whose per-request instructions differ most, as many as `--functions` says. */
function functionTable(base: HttpVariant, variant: HttpVariant): string[] {
  const ofBase = meanFunctions(counts.filter((count) => count.variant === base))
  const ofVariant = meanFunctions(counts.filter((count) => count.variant === variant))
  const rows = [...new Set([...ofBase.keys(), ...ofVariant.keys()])]
    .map((name) => ({ name, base: ofBase.get(name) ?? 0, variant: ofVariant.get(name) ?? 0 }))
    .sort((a, b) => Math.abs(b.variant - b.base) - Math.abs(a.variant - a.base))
    .slice(0, functionRows)
  // Paths from the repository's root, and a package's from its own folder.
  const cell = (name: string): string =>
    name.replaceAll('|', '\\|').replaceAll(`file://${REPO_ROOT}`, '').replaceAll(REPO_ROOT, '').replace(/\S*\/node_modules\//, '')
  return [
    '',
    `Where \`${variant}\` differs from \`${base}\`: the ${functionRows} functions whose own main-thread instructions per request differ most (means over each variant's processes; \`JS\` is generated code, named from \`--perf-basic-prof\`, any tier):`,
    '',
    `| function | \`${base}\` | \`${variant}\` | difference |`,
    '|---|--:|--:|--:|',
    ...rows.map((row) => `| ${cell(row.name)} | ${num(row.base)} | ${num(row.variant)} | ${row.variant >= row.base ? '+' : ''}${num(row.variant - row.base)} |`),
  ]
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
  const ratio = Number.isFinite(baseline) ? ` ${ratio3(main / baseline)} |` : ''
  lines.push(
    `| \`${variant}\` | ${num(main)} |${ratio} ${mine.map((count) => num(count.main)).join(', ')} | ${mine.map(stateOf).join(', ')} | ${mine.map((count) => num(count.others)).join(', ')} |`,
  )
}
if (functionRows > 0) for (const variant of variants.slice(1)) lines.push(...functionTable(variants[0] as HttpVariant, variant))
const states = new Set(counts.map(isSettled))
if (states.size > 1) {
  lines.push('', 'The processes ran in different states: compare counts only between processes in the same state.')
}
process.stdout.write(`${lines.join('\n')}\n`)
