/**
 * An experiment beside the benchmark, not part of `pnpm bench`: does a server process that has
 * opened one outbound TCP connection serve its route slower afterwards than one that never has?
 * docs/benchmarks.md ("Start-up history") says why this matters to the plugin-overhead target:
 * every token variant fetches its token at start-up, and the no-token servers fetch nothing.
 *
 * Every server is a no-token server of the plugin-overhead scenario (`http-server.js`: variant
 * `none`, or `connected` for the request arms), so the route and its handler are the same
 * everywhere; the arms differ only in what the process did before its first load:
 * - *baseline*: nothing, and it is loaded as soon as it listens;
 * - *idle*: nothing, and it sits idle for `--idle-sec` seconds before its first load;
 * - *self*: once it listens, it opens one TCP connection to its own port and closes it (no peer
 *   process, no HTTP client, no bytes sent); loaded as soon as it listens;
 * - *self-idle*: the same connection, then idle for `--idle-sec` seconds;
 * - *self-idle-nmr*: *self-idle* with V8's memory reducer turned off (`--no-memory-reducer`);
 * - *request*: one IMDS token request to the emulator with undici at start-up (the bench's
 *   `connected` server until 2026-11-30); loaded as soon as it listens, as the bench loads its
 *   servers;
 * - *request-idle*, *request-idle-nmr*: the same request, then idle, without and with the memory
 *   reducer;
 * - *provider*: a keyless provider fetches the token at start-up, exactly as the `keyless`
 *   variant's provider does, and is then held, never called again; loaded at once. It is the
 *   `keyless` server without the plugin and without the call on each request (the bench's
 *   `connected` server).
 *
 * Two processes per arm. The arms loaded at once start first, each warmed up as soon as it
 * listens; then the idle arms start, and each is warmed up once it has been idle long enough.
 * After the warm-ups, {@link CYCLES} cycles of one 1 s slice per process,
 * in an order that rotates from cycle to cycle; each slice's req/s is divided by the geometric
 * mean of the two baseline processes' req/s in the same cycle, and a process's figure is the
 * median over cycles. The server CPU time per request comes from the server's own counters.
 *
 * With `--settle`, every server is settled after the warm-ups as the bench settles its servers
 * (`settle` in http-load.js: full GCs while no `nextTick` callback is queued, then a second
 * warm-up). The arms then measure within a few per cent of one another: what told them apart
 * was whether the process had run such a collection yet (docs/benchmarks.md).
 *
 * Usage: `pnpm bench:start-up-history [--framework fastify|express] [--idle-sec N] [--settle]`, or
 * after a build `node bench/dist/start-up-history.js …`. About 5 minutes.
 *
 * @module
 */
import './loopback-guard.js'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { startEmulatorProcess } from './emulator-client.js'
import { failedOf, HTTP_CONNECTIONS, HTTP_WARM_UP_SEC, load, loadSlice, settle, SETTLE_FULL_GCS, startServerProcess, type ServerProcess } from './http-load.js'
import type { Framework, HttpVariant, ServerTask } from './http-server.js'
import { ofTwoServers, pairedRatio } from './report-http.js'
import { rotated } from './rotated.js'
import { median, sum } from './stats.js'

/** What a server does at start-up, before its first load. */
const START_UPS = {
  nothing: { label: 'no connection', variant: 'none', selfConnect: false },
  'self-connect': { label: 'one TCP connection to itself', variant: 'none', selfConnect: true },
  request: { label: 'one token request (undici) to the emulator', variant: 'connected', selfConnect: false, startUpFetch: 'undici' },
  provider: { label: 'one token fetch by a keyless provider, held but unused', variant: 'connected', selfConnect: false, startUpFetch: 'provider' },
} as const satisfies Record<string, Pick<ServerTask, 'variant' | 'selfConnect' | 'startUpFetch'> & { label: string }>

interface Arm {
  readonly key: string
  readonly label: string
  readonly variant: HttpVariant
  readonly selfConnect: boolean
  readonly startUpFetch: 'undici' | 'provider' | undefined
  /** Left idle for `--idle-sec` after start-up before its first load; else loaded as soon as it listens. */
  readonly idleFirst: boolean
  readonly execArgv: readonly string[]
}

function makeArm(key: string, startUp: keyof typeof START_UPS, idleFirst: boolean, execArgv: readonly string[] = []): Arm {
  const { label, variant, selfConnect, startUpFetch }: Pick<ServerTask, 'variant' | 'selfConnect' | 'startUpFetch'> & { label: string } = START_UPS[startUp]
  const flags = execArgv.length === 0 ? '' : `, \`${execArgv.join(' ')}\``
  return { key, label: `${label}, ${idleFirst ? 'idle first' : 'loaded at once'}${flags}`, variant, selfConnect, startUpFetch, idleFirst, execArgv }
}

const NO_MEMORY_REDUCER = ['--no-memory-reducer']
const ARMS: readonly Arm[] = [
  makeArm('baseline', 'nothing', false),
  makeArm('idle', 'nothing', true),
  makeArm('self', 'self-connect', false),
  makeArm('self-idle', 'self-connect', true),
  makeArm('self-idle-nmr', 'self-connect', true, NO_MEMORY_REDUCER),
  makeArm('request', 'request', false),
  makeArm('request-idle', 'request', true),
  makeArm('request-idle-nmr', 'request', true, NO_MEMORY_REDUCER),
  makeArm('provider', 'provider', false),
]
const PROCESSES_PER_ARM = 2
const CYCLES = 6
const SLICE_SEC = 1

interface Server {
  readonly arm: Arm
  readonly process: ServerProcess
  /** When it reported ready (`performance.now()`): it listens, and made its start-up connection if any. */
  readonly startedAt: number
  /** req/s per cycle, and server CPU µs per request per cycle. */
  readonly requestsPerSec: number[]
  readonly cpuMicrosPerRequest: number[]
  /** Seconds from {@link Server.startedAt} to the start of its warm-up load. */
  idleSec: number
  failed: number
}

function parseArgs(argv: readonly string[]): { framework: Framework; idleSec: number; settled: boolean } {
  const args = argv.filter((arg) => arg !== '--')
  const valueOf = (flag: string): string | undefined => {
    const at = args.indexOf(flag)
    return at === -1 ? undefined : args[at + 1]
  }
  const framework = valueOf('--framework') ?? 'fastify'
  if (framework !== 'fastify' && framework !== 'express') throw new Error('--framework takes fastify or express')
  const idleSec = Number(valueOf('--idle-sec') ?? 8)
  if (!(idleSec >= 0)) throw new Error('--idle-sec takes a number of seconds ≥ 0')
  const known = new Set(['--framework', framework, '--idle-sec', valueOf('--idle-sec'), '--settle'])
  const unknown = args.filter((arg) => !known.has(arg))
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')}; usage: start-up-history.js [--framework fastify|express] [--idle-sec N] [--settle]`)
  return { framework, idleSec, settled: args.includes('--settle') }
}

const { framework, idleSec, settled } = parseArgs(process.argv.slice(2))
const emulator = await startEmulatorProcess()
const servers: Server[] = []
try {
  const start = async (arm: Arm): Promise<Server> => {
    const { variant, selfConnect, startUpFetch } = arm
    const task: ServerTask = { framework, variant, emulatorUrl: emulator.url, selfConnect, ...(startUpFetch === undefined ? {} : { startUpFetch }) }
    const child = await startServerProcess(task, { execArgv: arm.execArgv })
    const server: Server = { arm, process: child, startedAt: performance.now(), requestsPerSec: [], cpuMicrosPerRequest: [], idleSec: Number.NaN, failed: 0 }
    servers.push(server)
    return server
  }
  const warmUp = async (server: Server): Promise<void> => {
    server.idleSec = (performance.now() - server.startedAt) / 1000
    server.failed += failedOf(await load(server.process.url, HTTP_WARM_UP_SEC.full))
  }
  // The arms loaded at once start and warm up first; then the idle arms start, one after another,
  // and each is warmed once it has been idle for idleSec since it listened (longer when the
  // warm-ups before it take more time than that: the report gives each process's idle time).
  for (const arm of ARMS.filter((a) => !a.idleFirst)) for (let p = 0; p < PROCESSES_PER_ARM; p++) await warmUp(await start(arm))
  for (const arm of ARMS.filter((a) => a.idleFirst)) for (let p = 0; p < PROCESSES_PER_ARM; p++) await start(arm)
  for (const server of servers.filter((s) => s.arm.idleFirst)) {
    await sleep(Math.max(0, server.startedAt + idleSec * 1000 - performance.now()))
    await warmUp(server)
  }
  // --settle: what the bench does before its cycles; every arm then starts from the same state.
  if (settled) for (const server of servers) server.failed += (await settle(server.process, HTTP_WARM_UP_SEC.full)).failed
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    for (const server of rotated(servers, cycle)) {
      const slice = await loadSlice(server.process, SLICE_SEC)
      server.failed += slice.failed
      server.requestsPerSec[cycle] = slice.requestsPerSec
      server.cpuMicrosPerRequest[cycle] = slice.serverCpuMicros / Math.max(1, slice.served)
    }
  }
} finally {
  await Promise.all(servers.map(async (server) => server.process.close()))
  await emulator.close()
}

const baseline = servers.filter((s) => s.arm.key === 'baseline')
const [first, second] = baseline as [Server, Server]
const baselineRun = { requestsPerSec: first.requestsPerSec.map((rps, cycle) => ofTwoServers(rps, second.requestsPerSec[cycle])) }
const ratioOf = (server: Server): number => pairedRatio(server, baselineRun)
const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')

const lines = [
  `# Start-up history: ${framework}, ${new Date().toISOString()}`,
  '',
  `Node ${process.version} · ${os.cpus()[0]?.model ?? '?'} · ${os.cpus().length} cores · idle ${idleSec} s · ${settled ? `settled (${SETTLE_FULL_GCS} full GCs and a second warm-up in every server)` : 'not settled'} · ${CYCLES} cycles of ${SLICE_SEC} s slices · ${HTTP_CONNECTIONS} connections · baseline ${fixed(median(baseline.flatMap((s) => s.requestsPerSec)), 0)} req/s`,
  '',
  '| Before its first load, the server… | req/s ÷ baseline, process 1 | process 2 | server CPU µs per request, process 1 | process 2 | idle before the first load, s |',
  '|---|--:|--:|--:|--:|--:|',
  ...ARMS.map((arm) => {
    const of = servers.filter((s) => s.arm === arm)
    const cells = [...of.map((s) => `${fixed(ratioOf(s), 3)}×`), ...of.map((s) => fixed(median(s.cpuMicrosPerRequest), 1)), of.map((s) => fixed(s.idleSec, 1)).join(', ')]
    return `| ${arm.label} | ${cells.join(' | ')} |`
  }),
  '',
  `Failed requests (errors, timeouts, non-2xx), warm-ups included: ${sum(servers.map((s) => s.failed))}.`,
]
console.log(lines.join('\n'))
