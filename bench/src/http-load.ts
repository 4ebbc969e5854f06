/**
 * The plugin-overhead scenario (`http`): one framework per process, every variant of it at once.
 * Each variant's server runs in a child process of its own (`http-server.js`); autocannon runs
 * here, so load generator and server never share an event loop. All the servers start together,
 * and the load goes to one at a time in short slices, in an order that rotates from cycle to
 * cycle: a variant's slice is compared with the `none` slice of the same cycle, seconds apart, so
 * drift in the machine's speed (other tenants, CPU frequency) hits both sides of a ratio alike.
 * `none-again` is a second no-token server: how far it lands from `none` is the noise floor.
 *
 * The servers start one at a time, in an order that rotates from run to run, and each is loaded
 * for its warm-up as soon as it listens. Started all at once and warmed in turns, the servers
 * warmed last sat idle for seconds after their start-up token request, and those measured slower
 * for the rest of the run (docs/benchmarks.md, "Start-up history"); the fixed variant order
 * handed that to the token variants.
 *
 * The emulator (the scenario's own child) is needed only for the servers' start-up fetches: it must
 * see no token request while the load runs.
 *
 * @module
 */
import { childChannel } from './child-channel.js'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import type { EmulatorProcess } from './emulator-client.js'
import type { Framework, HttpVariant, ServerReply, ServerStats, ServerTask } from './http-server.js'
import { rotated } from './rotated.js'
import { sliceOrder } from './slice-order.js'

/** Keep-alive connections autocannon holds open, one request in flight on each. */
export const HTTP_CONNECTIONS = 10
/** The variants of each framework, full and `--quick` (which leaves out the informational ones). */
export const HTTP_VARIANTS_OF: Record<Framework, { full: readonly HttpVariant[]; quick: readonly HttpVariant[] }> = {
  express: {
    full: ['none', 'none-again', 'connected', 'outbound', 'await', 'keyless', 'keyless-again', 'keyless-middleware', 'azure', 'keyless-switch'],
    quick: ['none', 'none-again', 'keyless', 'keyless-again', 'azure'],
  },
  fastify: {
    full: ['none', 'none-again', 'connected', 'outbound', 'await', 'decorated', 'keyless', 'keyless-again', 'azure', 'keyless-switch'],
    quick: ['none', 'none-again', 'keyless', 'keyless-again', 'azure'],
  },
}
/**
 * What takes one slice per cycle: a variant's server, except `keyless-switch`, whose one server
 * takes two, its route awaiting a settled promise (`switch-off`) or the keyless token (`switch-on`).
 */
export type HttpSlot = Exclude<HttpVariant, 'keyless-switch'> | 'switch-off' | 'switch-on'
/** Per server, seconds of load before the cycles (JIT, connections); discarded. */
export const HTTP_WARM_UP_SEC = { full: 0.75, quick: 0.25 }
/**
 * Full garbage collections every server runs after its warm-up, before a second warm-up and the
 * cycles ({@link settle}). Three, because V8 keeps an unused map through two full GCs
 * (`--retain-maps-for-n-gc`, 2 by default) and lets it go at the third.
 */
export const SETTLE_FULL_GCS = 3
/** Cycles of slices, and seconds per slice, full and `--quick`. */
export const HTTP_CYCLES = { full: 6, quick: 3 }
export const HTTP_SLICE_SEC = { full: 1, quick: 0.5 }
/**
 * autocannon's sampling interval, ms. It stops at the first sample tick after `duration`, so the
 * durations above are multiples of it (with its default of 1000 ms, a 0.5 s load runs 1 s).
 */
const SAMPLE_MS = 250

/** One variant's slices in one run, in cycle order. */
export interface HttpVariantRun {
  /** 2xx responses ÷ seconds, per slice. */
  requestsPerSec: number[]
  /** Server CPU time ÷ handler runs, µs, per slice. */
  serverCpuMicrosPerRequest: number[]
  /** CPU time ÷ wall time in cores, per slice: the server process, and this (autocannon's) process. */
  serverCpu: number[]
  loadCpu: number[]
  /** Errors, timeouts, resets and non-2xx responses, warm-up load included (should be 0). */
  failed: number
  /** Route handler runs and tokens got by them over the slices (equal in the token variants). */
  served: number
  tokens: number
}

/** One run of one framework: every variant's slices. */
export interface HttpResult {
  kind: 'http'
  /** The framework's installed version. */
  frameworkVersion: string
  cycles: number
  sliceSec: number
  /** Token requests the emulator saw while autocannon ran, warm-up loads included (should be 0). */
  upstreamDuringLoad: number
  /** The fewest full GCs any server ran in {@link settle} (0 if a server could not run them). */
  settleFullGcs: number
  variants: Partial<Record<HttpSlot, HttpVariantRun>>
}

/** A variant's server process, as {@link startServerProcess} gives it. */
export interface ServerProcess {
  /** The route's URL on 127.0.0.1. */
  readonly url: string
  readonly version: string
  /** The server's process id (with a {@link Launcher}, the launcher's, which runs Node in-process). */
  readonly pid: number
  stats(): Promise<ServerStats>
  /** `keyless-switch` only: whether the route gets its token from keyless from now on. */
  callKeyless(on: boolean): Promise<void>
  /** Runs `times` full garbage collections in the server; resolves with how many it ran. */
  fullGc(times: number): Promise<number>
  close(): Promise<void>
}

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url))

/**
 * A program that runs the server's Node under it (`instructions.js`: Valgrind): `executable`,
 * then `args`, then this Node's path and its flags.
 */
export interface Launcher {
  readonly executable: string
  readonly args: readonly string[]
}

/** How {@link startServerProcess} starts a server; every field may be left out. */
export interface ServerStart {
  /**
   * Node flags of the server besides `--expose-gc` (which {@link ServerProcess.fullGc} needs).
   * None by default, so that it never inherits flags meant for this process.
   */
  readonly execArgv?: readonly string[]
  /** A program the server runs under; see {@link Launcher}. */
  readonly launcher?: Launcher | undefined
  /**
   * The `http-server.js` to fork, this build's by default (`compare-builds.js` passes another
   * checkout's, which loads that checkout's packages).
   */
  readonly server?: string | undefined
}

/** Forks `http-server.js` for `task` and resolves once it listens. */
export async function startServerProcess(task: ServerTask, { execArgv = [], launcher, server = SERVER }: ServerStart = {}): Promise<ServerProcess> {
  const nodeArgs = ['--expose-gc', ...execArgv]
  const child: ChildProcess = fork(server, [JSON.stringify(task)], {
    ...(launcher === undefined ? { execArgv: nodeArgs } : { execPath: launcher.executable, execArgv: [...launcher.args, process.execPath, ...nodeArgs] }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const { url, version } = await new Promise<{ url: string; version: string }>((resolve, reject) => {
    const onMessage = (message: ServerReply): void => {
      if (message.type === 'ready') resolve(message)
      else if (message.type === 'failed') reject(new Error(`http server: ${message.error}`))
      else return
      child.off('exit', onExit)
      child.off('message', onMessage)
    }
    const onExit = (code: number | null): void => reject(new Error(`http server exited early (code ${code})`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
  if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+\//.test(url)) throw new Error(`http server url is not loopback: ${url}`)
  const channel = childChannel(child)
  return {
    url,
    version,
    pid: child.pid as number,
    stats: async () => (await channel.ask<{ stats: ServerStats }>('stats')).stats,
    callKeyless: async (on) => void (await channel.ask('call-keyless', { on })),
    fullGc: async (times) => (await channel.ask<{ fullGcs: number }>('full-gc', { times })).fullGcs,
    close: () => channel.close(),
  }
}

/** autocannon's load on `url` for `duration` seconds: {@link HTTP_CONNECTIONS} connections, one request in flight on each. */
export const load = (url: string, duration: number): Promise<Result> =>
  autocannon({ url, connections: HTTP_CONNECTIONS, pipelining: 1, duration, sampleInt: SAMPLE_MS, timeout: 10 })

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** Errors, timeouts, resets and non-2xx responses of one load. */
export const failedOf = (r: Result): number => r.errors + r.timeouts + r.resets + r.non2xx

/** One measured slice: {@link load} for `sec` seconds, with the server's counters read around it. */
export interface Slice {
  /** 2xx responses ÷ seconds. */
  requestsPerSec: number
  failed: number
  /** Handler runs, and tokens they got, during the slice. */
  served: number
  tokens: number
  /** CPU time of the server process, and of this (autocannon's) process, µs; wall time, µs. */
  serverCpuMicros: number
  loadCpuMicros: number
  wallMicros: number
}

/** Loads `server` for `sec` seconds and reads its counters and CPU time, and this process's, around the load. */
export async function loadSlice(server: ServerProcess, sec: number): Promise<Slice> {
  const s0 = await server.stats()
  const c0 = cpuMicros()
  const t0 = process.hrtime.bigint()
  const measured = await load(server.url, sec)
  const s1 = await server.stats()
  const wallMicros = Number(process.hrtime.bigint() - t0) / 1e3
  return {
    requestsPerSec: measured['2xx'] / measured.duration,
    failed: failedOf(measured),
    served: s1.served - s0.served,
    tokens: s1.tokens - s0.tokens,
    serverCpuMicros: s1.cpuMicros - s0.cpuMicros,
    loadCpuMicros: cpuMicros() - c0,
    wallMicros,
  }
}

/**
 * Brings a warmed server to the state a long-running one is in: {@link SETTLE_FULL_GCS} full
 * garbage collections, then another warm-up load, discarded (code that the collections made V8
 * throw away is compiled again). Resolves with the collections run and the warm-up's failures.
 *
 * Why: a Node server that has not yet run a full collection with no `nextTick` callback queued
 * serves this route faster than it will for the rest of its life (http-server.js, `fullGc`).
 * These collections took two fresh no-token Fastify servers from about 56 000 to 45 000 and
 * 47 000 req/s. Unsettled, the no-token servers were measured in that passing state, and most
 * servers that fetched a token at start-up were not (docs/benchmarks.md, "Start-up history").
 * Settled, every server is measured in the same, lasting state.
 */
export async function settle(server: ServerProcess, sec: number): Promise<{ fullGcs: number; failed: number }> {
  const fullGcs = await server.fullGc(SETTLE_FULL_GCS)
  return { fullGcs, failed: failedOf(await load(server.url, sec)) }
}

/** A slot of a variant's server: its key, and for `keyless-switch` the mode its route runs in. */
interface SlotOf {
  key: HttpSlot
  callKeyless?: boolean
}

/** The slots a variant's server takes: one, or for `keyless-switch` two, without the call then with it. */
function slotsOf(variant: HttpVariant): SlotOf[] {
  if (variant !== 'keyless-switch') return [{ key: variant }]
  return [
    { key: 'switch-off', callKeyless: false },
    { key: 'switch-on', callKeyless: true },
  ]
}

/**
 * Runs one framework: starts a server per variant, one after the other (each makes its start-up
 * token request before it listens), and loads each for {@link HTTP_WARM_UP_SEC} (discarded) as
 * soon as it listens; then {@link settle}s every server, and runs {@link HTTP_CYCLES} cycles of
 * one {@link HTTP_SLICE_SEC} slice per slot. The emulator's token count is read around every load;
 * a server's counters and CPU time around each slice.
 */
export async function httpOverhead(task: { framework: Framework; run: number; quick: boolean }, emulator: EmulatorProcess): Promise<HttpResult> {
  const mode = task.quick ? 'quick' : 'full'
  const variants = HTTP_VARIANTS_OF[task.framework][mode]
  const tokenRequests = async (): Promise<number> => (await emulator.counters()).tokenRequests
  let upstreamDuringLoad = 0
  const servers = new Array<ServerProcess | undefined>(variants.length)
  const warmUpFailures = new Map<HttpSlot, number>()
  try {
    // The start order rotates with the run.
    for (const i of rotated([...variants.keys()], task.run)) {
      const variant = variants[i] as HttpVariant
      const server = await startServerProcess({ framework: task.framework, variant, emulatorUrl: emulator.url })
      servers[i] = server
      const before = await tokenRequests()
      // keyless-switch warms up both ways its route will run: without the call, then with it.
      for (const { key, callKeyless } of slotsOf(variant)) {
        if (callKeyless !== undefined) await server.callKeyless(callKeyless)
        warmUpFailures.set(key, failedOf(await load(server.url, HTTP_WARM_UP_SEC[mode])))
      }
      upstreamDuringLoad += (await tokenRequests()) - before
    }
    let settleFullGcs = Number.POSITIVE_INFINITY
    const before = await tokenRequests()
    for (let i = 0; i < variants.length; i++) {
      const settled = await settle(servers[i] as ServerProcess, HTTP_WARM_UP_SEC[mode])
      settleFullGcs = Math.min(settleFullGcs, settled.fullGcs)
      // The settle warm-up runs in the mode the server's own warm-up left it in: its last slot.
      const slot = (slotsOf(variants[i] as HttpVariant).at(-1) as SlotOf).key
      warmUpFailures.set(slot, (warmUpFailures.get(slot) ?? 0) + settled.failed)
    }
    upstreamDuringLoad += (await tokenRequests()) - before
    // One list of slots per server process, in the variants' order.
    const slotsByServer = variants.map((variant, i) =>
      slotsOf(variant).map((slot) => {
        const run: HttpVariantRun = {
          requestsPerSec: [],
          serverCpuMicrosPerRequest: [],
          serverCpu: [],
          loadCpu: [],
          failed: warmUpFailures.get(slot.key) ?? 0,
          served: 0,
          tokens: 0,
        }
        return { ...slot, server: servers[i] as ServerProcess, run }
      }),
    )
    const upstreamBefore = await tokenRequests()
    for (let cycle = 0; cycle < HTTP_CYCLES[mode]; cycle++) {
      // The order rotates with the cycle and the run, so no variant always follows the same one,
      // and the switched server's two slots swap places every other cycle (sliceOrder).
      for (const { server, callKeyless, run } of sliceOrder(slotsByServer, cycle + task.run)) {
        if (callKeyless !== undefined) await server.callKeyless(callKeyless)
        const slice = await loadSlice(server, HTTP_SLICE_SEC[mode])
        run.requestsPerSec.push(slice.requestsPerSec)
        run.serverCpuMicrosPerRequest.push(slice.serverCpuMicros / Math.max(1, slice.served))
        run.serverCpu.push(slice.serverCpuMicros / slice.wallMicros)
        run.loadCpu.push(slice.loadCpuMicros / slice.wallMicros)
        run.failed += slice.failed
        run.served += slice.served
        run.tokens += slice.tokens
      }
    }
    upstreamDuringLoad += (await tokenRequests()) - upstreamBefore
    return {
      kind: 'http',
      frameworkVersion: servers.find((server) => server !== undefined)?.version ?? '?',
      cycles: HTTP_CYCLES[mode],
      sliceSec: HTTP_SLICE_SEC[mode],
      upstreamDuringLoad,
      settleFullGcs,
      variants: Object.fromEntries(slotsByServer.flat().map((slot) => [slot.key, slot.run])),
    }
  } finally {
    await Promise.all(servers.map(async (server) => server?.close()))
  }
}

