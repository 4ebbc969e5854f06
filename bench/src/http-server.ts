/**
 * The HTTP server of the plugin-overhead scenario, in a process of its own so that autocannon (in
 * the scenario process) and the server under load never share an event loop. One framework, one
 * variant, one route: `GET /data` answers the same small JSON in every variant, after getting a
 * token first in the `keyless` and `azure` variants.
 *
 * Forked by `http-load.js`; speaks over IPC: it sends `{ type: 'ready', url, version }` (the route's URL) once
 * the token is cached and the server listens on 127.0.0.1, answers `{ type: 'stats', id }` with its counters
 * and CPU time, and exits on `{ type: 'close' }` or when its parent goes away.
 *
 * Usage (by http-load.js only): `node http-server.js '<ServerTask JSON>'`
 *
 * @module
 */
import { loopbackGuardActive } from './loopback-guard.js'
import { createRequire } from 'node:module'
import { connect, type AddressInfo } from 'node:net'
import { azureCredential, HOT_SCOPE, keylessProvider } from './subjects.js'

/** The web frameworks the scenario loads. */
export type Framework = 'express' | 'fastify'
/**
 * `none`: no token; `none-again`: the same server in another process, the A/A control that shows
 * how far two identical servers measure apart; `connected`: the no-token server holding a keyless
 * provider that made the token variants' start-up fetch and is never called again (see
 * {@link ServerTask.startUpFetch}); `outbound`: the no-token server after one undici request to the
 * emulator at start-up, its answer dropped ({@link startUpExchange}): what a service that loads any
 * HTTP client has done before it adds keyless; `await`: no token, but one `await` of a promise settled at
 * start-up (what any promise-returning token API costs at the least); `decorated`
 * (Fastify): the same `await`, plus a request decorator nobody calls; `keyless`: the
 * integration as its README recommends it (Express: `bindKeyless(app)`, Fastify: the plugin);
 * `keyless-again`: the same in another process (the target takes both, as the baseline takes two);
 * `keyless-middleware` (Express): `app.use(keyless())` instead; `azure`: `ManagedIdentityCredential.getToken`;
 * `keyless-switch`: the `keyless` server whose route awaits either the token or a settled promise,
 * switched over IPC between slices, so that the call's own cost is measured in one process.
 */
export type HttpVariant = 'none' | 'none-again' | 'connected' | 'outbound' | 'await' | 'decorated' | 'keyless' | 'keyless-again' | 'keyless-middleware' | 'azure' | 'keyless-switch'

/** What `http-load.js` (or `start-up-history.js`) asks the server process to run. */
export interface ServerTask {
  framework: Framework
  variant: HttpVariant
  emulatorUrl: string
  /**
   * `start-up-history.js` only: once it listens, the server opens one TCP connection to its own
   * port and closes it, before it reports ready. The least outbound traffic a process can have.
   */
  selfConnect?: boolean
  /**
   * How the `connected` server makes its start-up request. `provider` (the default, the bench's):
   * a keyless provider's first fetch, exactly as the token variants make theirs; the provider is
   * then held, never called again, and the route gets no token. That is the `keyless` server
   * without keyless on the request path. `undici` (`start-up-history.js` only): the bare
   * request of {@link startUpExchange}.
   */
  startUpFetch?: 'provider' | 'undici'
}

/** Counters of the server process, read between load phases. */
export interface ServerStats {
  /** Responses the route handler produced. */
  served: number
  /** Tokens the handler got (a non-empty `token`); equals `served` in the token variants. */
  tokens: number
  /** `process.cpuUsage()` user + system, µs. */
  cpuMicros: number
}

/** IPC from `http-load.js` to the server process. */
export type ServerRequest =
  | { type: 'stats'; id: number }
  | { type: 'call-keyless'; id: number; on: boolean }
  | { type: 'full-gc'; id: number; times: number }
  | { type: 'close' }
/** IPC from the server process: ready (route URL, framework version), counters, or a start-up failure. */
export type ServerReply =
  | { type: 'ready'; url: string; version: string }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'call-keyless'; id: number }
  | { type: 'full-gc'; id: number; fullGcs: number }
  | { type: 'failed'; error: string }

/** The route and its body: identical in every variant, so only getting the token differs. */
const ROUTE = '/data'
const BODY = { id: 42, name: 'keyless-bench', ok: true, tags: ['a', 'b', 'c'] }
/** What the `await` variant awaits: settled once, never a token (`count(undefined)` semantics). */
const SETTLED: Promise<undefined> = Promise.resolve(undefined)
/** `keyless-switch`: whether the route gets its token from keyless (else it awaits {@link SETTLED}). */
let callKeyless = true

interface Running {
  stats(): Omit<ServerStats, 'cpuMicros'>
  close(): Promise<void>
}

/** What the `azure` route awaits: `credential.getToken(scope)` (an `AccessToken`, or null on failure). */
type GetToken = (scope: string) => Promise<{ token: string } | null>

/**
 * The `outbound` server's start-up request, and the `connected` server's with `startUpFetch:
 * 'undici'`: the token variants' IMDS token request, sent with undici (the HTTP client keyless
 * uses), its answer dropped.
 *
 * A Node process that has made an outbound request serves its own routes slower afterwards than
 * one that never has. Unsettled, on this machine, by up to a quarter in some processes and not at
 * all in others (docs/benchmarks.md, "Start-up history"); settled, by a few per cent, as the
 * loaded code turns inline caches in Node's shared functions megamorphic. The token variants
 * cannot avoid the request; the `outbound` server shows what it does to a process that gets no
 * token.
 */
async function startUpExchange(emulatorUrl: string): Promise<void> {
  const { Agent, request } = await import('undici')
  const url = new URL('/metadata/identity/oauth2/token', emulatorUrl)
  url.searchParams.set('api-version', '2018-02-01')
  url.searchParams.set('resource', HOT_SCOPE.slice(0, -'/.default'.length))
  // The Agent is not closed, as a provider does not close its own: its idle socket closes by itself.
  const { statusCode, body } = await request(url, { dispatcher: new Agent(), headers: { Metadata: 'true' } })
  await body.text()
  if (statusCode !== 200) throw new Error(`the start-up exchange got ${statusCode} from the emulator`)
}

/** {@link ServerTask.selfConnect}: connects to the route's own host and port, then closes at once. */
async function connectOnce(url: string): Promise<void> {
  const { hostname, port } = new URL(url)
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', reject)
  })
}

/** The installed version of `framework`, for the report. */
function versionOf(framework: Framework): string {
  const { version } = createRequire(import.meta.url)(`${framework}/package.json`) as { version: string }
  return version
}

async function start(task: ServerTask): Promise<{ url: string; running: Running }> {
  const counts = { served: 0, tokens: 0 }
  const count = (token: { token: string } | null | undefined): void => {
    counts.served++
    if (token != null && token.token.length > 0) counts.tokens++
  }
  // The token is fetched once before the server listens, so every request under load is a hit.
  const switched = task.variant === 'keyless-switch'
  const keylessServer = task.variant === 'keyless' || task.variant === 'keyless-again'
  const provider = keylessServer || task.variant === 'keyless-middleware' || switched ? await keylessProvider(task.emulatorUrl) : undefined
  await provider?.getToken(HOT_SCOPE)
  const credential = task.variant === 'azure' ? await azureCredential(task.emulatorUrl) : undefined
  await credential?.getToken(HOT_SCOPE)
  const azureGet: GetToken | undefined = credential === undefined ? undefined : (scope) => credential.getToken(scope)
  const held = task.variant === 'connected' && task.startUpFetch !== 'undici' ? await keylessProvider(task.emulatorUrl) : undefined
  if (held !== undefined) await held.getToken(HOT_SCOPE)
  else if (task.variant === 'connected' || task.variant === 'outbound') await startUpExchange(task.emulatorUrl)

  if (task.framework === 'express') {
    const { default: express } = await import('express')
    const app = express()
    // Every variant's handler is async, so the only difference is the awaited token.
    if (provider !== undefined) {
      const { bindKeyless, keyless, requestToken } = await import('@keyless/express')
      if (task.variant === 'keyless-middleware') app.use(keyless({ provider }))
      else bindKeyless(app, { provider })
      if (switched) {
        app.get(ROUTE, async (req, res) => {
          count(callKeyless ? await requestToken(req, HOT_SCOPE) : await SETTLED)
          res.json(BODY)
        })
      } else {
        app.get(ROUTE, async (req, res) => {
          count(await requestToken(req, HOT_SCOPE))
          res.json(BODY)
        })
      }
    } else if (azureGet !== undefined) {
      app.get(ROUTE, async (_req, res) => {
        count(await azureGet(HOT_SCOPE))
        res.json(BODY)
      })
    } else if (task.variant === 'await') {
      app.get(ROUTE, async (_req, res) => {
        count(await SETTLED)
        res.json(BODY)
      })
    } else {
      app.get(ROUTE, async (_req, res) => {
        count(undefined)
        res.json(BODY)
      })
    }
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
    const { port } = server.address() as AddressInfo
    const close = async (): Promise<void> => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await provider?.close()
      await held?.close()
    }
    return { url: `http://127.0.0.1:${port}${ROUTE}`, running: { stats: () => ({ ...counts }), close } }
  }

  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  if (provider !== undefined) {
    const { fastifyKeyless } = await import('@keyless/fastify')
    await app.register(fastifyKeyless, { provider })
    if (switched) {
      app.get(ROUTE, async (request) => {
        count(callKeyless ? await request.getToken(HOT_SCOPE) : await SETTLED)
        return BODY
      })
    } else {
      app.get(ROUTE, async (request) => {
        count(await request.getToken(HOT_SCOPE))
        return BODY
      })
    }
  } else if (azureGet !== undefined) {
    app.get(ROUTE, async () => {
      count(await azureGet(HOT_SCOPE))
      return BODY
    })
  } else if (task.variant === 'await' || task.variant === 'decorated') {
    // Any request decorator makes Fastify build requests from a subclass: what every plugin that
    // decorates requests costs, before a handler calls anything.
    if (task.variant === 'decorated') app.decorateRequest('benchUnused', () => SETTLED)
    app.get(ROUTE, async () => {
      count(await SETTLED)
      return BODY
    })
  } else {
    app.get(ROUTE, async () => {
      count(undefined)
      return BODY
    })
  }
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}${ROUTE}`
  const close = async (): Promise<void> => {
    await app.close()
    await provider?.close()
    await held?.close()
  }
  return { url, running: { stats: () => ({ ...counts }), close } }
}

const send = (reply: ServerReply): void => void process.send?.(reply)

/**
 * Runs `times` full garbage collections with the `gc()` that `--expose-gc` gives (the bench starts
 * its servers with it), and resolves with how many ran (0 without the flag).
 *
 * They run from `setImmediate`, when no `process.nextTick` callback is queued. An IPC message is
 * handled inside a tick, and while one tick object is alive V8 keeps the hidden class (map) of
 * Node's tick objects; with none alive, a full collection drops it, Node makes a new one at the
 * next `nextTick`, and a Fastify server serves this route about a fifth slower from then on. A
 * server meets that collection sooner or later on its own (the memory reducer runs one in idle
 * time); `settle` in http-load.js brings it to every server before the cycles.
 */
function fullGc(times: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  return new Promise((resolve) =>
    setImmediate(() => {
      if (gc === undefined) return resolve(0)
      for (let i = 0; i < times; i++) gc()
      resolve(times)
    }),
  )
}

try {
  if (!loopbackGuardActive()) throw new Error('the loopback guard is not installed; refusing to run')
  const task = JSON.parse(process.argv[2] ?? '{}') as ServerTask
  const { url, running } = await start(task)
  if (task.selfConnect === true) await connectOnce(url)
  const version = versionOf(task.framework)
  let closing = false
  const shutdown = async (): Promise<void> => {
    if (closing) return
    closing = true
    await running.close()
    if (process.connected) process.disconnect()
    setTimeout(() => process.exit(), 200).unref() // an SDK's keep-alive socket must not hold the exit
  }
  process.on('message', (message: ServerRequest) => {
    if (message.type === 'stats') {
      const cpu = process.cpuUsage()
      send({ type: 'stats', id: message.id, stats: { ...running.stats(), cpuMicros: cpu.user + cpu.system } })
    } else if (message.type === 'call-keyless') {
      callKeyless = message.on
      send({ type: 'call-keyless', id: message.id })
    } else if (message.type === 'full-gc') {
      void fullGc(message.times).then((fullGcs) => send({ type: 'full-gc', id: message.id, fullGcs }))
    } else if (message.type === 'close') void shutdown()
  })
  process.on('disconnect', () => void shutdown())
  send({ type: 'ready', url, version })
} catch (error) {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exitCode = 1
  if (process.connected) process.disconnect()
}
