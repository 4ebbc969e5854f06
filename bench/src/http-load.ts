/**
 * The plugin-overhead scenario (`http`): one framework and one variant per process. The server
 * under load runs in a child process (`http-server.js`); autocannon runs here, so the two never
 * share an event loop. The emulator (the scenario's own child) is needed only for the server's
 * warm-up fetch: the emulator must see no token request while the load runs.
 *
 * @module
 */
import { childChannel } from './child-channel.js'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import type { EmulatorProcess } from './emulator-client.js'
import type { Framework, HttpVariant, ServerReply, ServerStats, ServerTask } from './http-server.js'

/** Keep-alive connections autocannon holds open, one request in flight on each. */
export const HTTP_CONNECTIONS = 10
/** Seconds of load before the measured load (JIT, connections), full and `--quick`; discarded. */
export const HTTP_WARM_UP_SEC = { full: 0.75, quick: 0.25 }
/** Seconds of measured load, full and `--quick`. */
export const HTTP_LOAD_SEC = { full: 2.5, quick: 1 }
/**
 * autocannon's sampling interval, ms. It stops at the first sample tick after `duration`, so the
 * durations above are multiples of it (with its default of 1000 ms, a 1.5 s load runs 2 s).
 */
const SAMPLE_MS = 250

/** One run of one framework and variant. */
export interface HttpResult {
  kind: 'http'
  /** The framework's installed version. */
  frameworkVersion: string
  /** 2xx responses ÷ seconds of the measured load. */
  requestsPerSec: number
  /** 2xx responses in the measured load. */
  requests: number
  durationSec: number
  /** autocannon's latency percentiles, whole ms (raw record only: too coarse for the report). */
  latencyP50Ms: number
  latencyP99Ms: number
  /** Errors, timeouts, resets and non-2xx responses, warm-up load included (should be 0). */
  failed: number
  /** Token requests the emulator saw from the end of the server's warm-up fetch to the end of the load (should be 0). */
  upstreamDuringLoad: number
  /** Route handler runs and tokens got by them during the measured load (equal in the token variants). */
  served: number
  tokens: number
  /** CPU time ÷ wall time during the measured load, in cores: the server process, and this (autocannon's) process. */
  serverCpu: number
  loadCpu: number
  /** Server CPU time ÷ handler runs during the measured load, µs. */
  serverCpuMicrosPerRequest: number
}

interface ServerProcess {
  /** The route's URL on 127.0.0.1. */
  readonly url: string
  readonly version: string
  stats(): Promise<ServerStats>
  close(): Promise<void>
}

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url))

async function startServerProcess(task: ServerTask): Promise<ServerProcess> {
  // execArgv: [] so the server never inherits flags meant for the scenario process.
  const child: ChildProcess = fork(SERVER, [JSON.stringify(task)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
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
    stats: async () => (await channel.ask<{ stats: ServerStats }>('stats')).stats,
    close: () => channel.close(),
  }
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage()
  return user + system
}

const failedOf = (r: Result): number => r.errors + r.timeouts + r.resets + r.non2xx

/**
 * Runs one variant: starts its server (which fetches and caches the token before it listens),
 * loads it for {@link HTTP_WARM_UP_SEC} (JIT, connections; discarded), then for
 * {@link HTTP_LOAD_SEC} (measured). The emulator's token count is read before the first load and
 * after the last; the server's counters and CPU time just around the measured one.
 */
export async function httpOverhead(
  task: { framework: Framework; subject: HttpVariant; quick: boolean },
  emulator: EmulatorProcess,
): Promise<HttpResult> {
  const server = await startServerProcess({ framework: task.framework, variant: task.subject, emulatorUrl: emulator.url })
  try {
    const load = (duration: number): Promise<Result> =>
      autocannon({ url: server.url, connections: HTTP_CONNECTIONS, pipelining: 1, duration, sampleInt: SAMPLE_MS, timeout: 10 })
    const upstreamBefore = (await emulator.counters()).tokenRequests
    const mode = task.quick ? 'quick' : 'full'
    const warm = await load(HTTP_WARM_UP_SEC[mode])
    const s0 = await server.stats()
    const c0 = cpuMicros()
    const t0 = process.hrtime.bigint()
    const measured = await load(HTTP_LOAD_SEC[mode])
    const s1 = await server.stats()
    const wallMicros = Number(process.hrtime.bigint() - t0) / 1e3
    const loadCpu = (cpuMicros() - c0) / wallMicros
    const upstreamDuringLoad = (await emulator.counters()).tokenRequests - upstreamBefore
    return {
      kind: 'http',
      frameworkVersion: server.version,
      requestsPerSec: measured['2xx'] / measured.duration,
      requests: measured['2xx'],
      durationSec: measured.duration,
      latencyP50Ms: measured.latency.p50,
      latencyP99Ms: measured.latency.p99,
      failed: failedOf(warm) + failedOf(measured),
      upstreamDuringLoad,
      served: s1.served - s0.served,
      tokens: s1.tokens - s0.tokens,
      serverCpu: (s1.cpuMicros - s0.cpuMicros) / wallMicros,
      loadCpu,
      serverCpuMicrosPerRequest: (s1.cpuMicros - s0.cpuMicros) / (s1.served - s0.served),
    }
  } finally {
    await server.close()
  }
}
