/**
 * `trackHandles()`: the timers, sockets, servers and watchers made while a test runs, seen through
 * `async_hooks`, so that unref'd timers count too (`process.getActiveResourcesInfo()` lists only
 * what keeps the process alive, and an unref'd timer left running is a leak all the same).
 *
 * @module
 */
import { createHook } from 'node:async_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fullGc } from './full-gc.js'

/** The async resource types a keyless provider, plugin or warm-up could leave behind. */
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'TLSWRAP'])

/**
 * Timers of the process rather than of the code under test, matched anywhere in the stack that
 * made them: undici's one shared unref'd tick (lib/util/timers.js, npm's copy and Node's bundled
 * one), which stops by itself about a second after its last user; Node's unref'd cache of the HTTP
 * `Date` header.
 */
const PROCESS_TIMERS = [/undici[\\/]lib[\\/]util[\\/]timers\.js/, /internal[\\/]deps[\\/]undici/, /at utcDate \(node:internal\/http/]
const RUNNER = /[\\/]@?vitest[\\/]/

/**
 * Whether the timer whose `async_hooks` init ran with `stack` is vitest's runner's own: its
 * caller, the first frame outside Node after `new Timeout`, is in vitest. Matching vitest anywhere
 * in the stack would not do: the code under test runs inside the runner's calls, so a timer that
 * a test's own call makes (a warm-up's interval, say) has vitest further down its stack too.
 *
 * @example
 * ```ts
 * if (type === 'Timeout' && madeByRunner(new Error().stack ?? '')) return // vitest's, not the test's
 * ```
 */
export function madeByRunner(stack: string): boolean {
  const frames = stack.split('\n')
  const made = frames.findIndex((frame) => frame.includes('at new Timeout (node:'))
  if (made === -1) return false
  const caller = frames.slice(made + 1).find((frame) => !frame.includes('node:'))
  return caller !== undefined && RUNNER.test(caller)
}

/** A handle made since {@link trackHandles} and not destroyed yet. */
export interface LiveHandle {
  /** The async resource type: `Timeout`, `TCPWRAP`, `TCPSERVERWRAP`, … */
  readonly type: string
  /** Where it was made. */
  readonly stack: string
}

/** What {@link trackHandles} returns. */
export interface HandleTracker {
  /** Handles made since the tracker started and not destroyed yet, with the stack that made each. */
  live(): LiveHandle[]
  /** Stops recording (the hook is disabled). */
  stop(): void
}

/**
 * Records every timer, socket, server and watcher made from now on, until it is destroyed;
 * leaves out vitest's own timers ({@link madeByRunner}) and the process-wide timers above.
 *
 * @example
 * ```ts
 * const tracker = trackHandles()
 * await provider.close()
 * await eventLoopTurns(() => tracker.live().length === 0)
 * expect(tracker.live()).toEqual([])
 * ```
 */
export function trackHandles(): HandleTracker {
  const live = new Map<number, LiveHandle>()
  const hook = createHook({
    init(asyncId, type) {
      if (!TRACKED.has(type)) return
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 30 // deep enough to reach a timer's caller through Node's own frames
      const stack = new Error().stack ?? ''
      Error.stackTraceLimit = limit
      if (type === 'Timeout' && (madeByRunner(stack) || PROCESS_TIMERS.some((pattern) => pattern.test(stack)))) return
      live.set(asyncId, { type, stack })
    },
    destroy(asyncId) {
      live.delete(asyncId)
    },
  }).enable()
  return { live: () => [...live.values()], stop: () => void hook.disable() }
}

/** {@link eventLoopTurns} runs its first full garbage collection after waiting this long… */
const FIRST_COLLECTION_MS = 100
/** …and the next ones this far apart. */
const COLLECTION_EVERY_MS = 1000

/**
 * Yields to the event loop (`setImmediate`: no timer of its own) until `done()` holds or `withinMs`
 * of real time pass, so that the far side of a closed socket and the destroy hooks can finish. The
 * limit is in time, not turns: an idle loop turns thousands of times a second, faster than a TLS
 * socket closes on Node 24.
 *
 * While it waits it also runs a full garbage collection, after 100 ms and then every second. A
 * closed TLS socket's `TLSWRAP` is destroyed, and its destroy hook runs, only when its wrapper is
 * collected. Once that wrapper has lived through two scavenges (a slow test on a loaded machine)
 * it sits in the old generation, and an idle test process may not run a full collection for many
 * seconds. A socket that is still open, or a wrapper that something still references, survives
 * the collection, so a real leak still shows.
 *
 * @example
 * ```ts
 * await eventLoopTurns(() => tracker.live().length === 0)
 * ```
 */
export async function eventLoopTurns(done: () => boolean, withinMs = 5000): Promise<void> {
  const start = performance.now()
  const giveUpAt = start + withinMs
  let collectAt = start + FIRST_COLLECTION_MS
  for (let now = start; !done() && now < giveUpAt; now = performance.now()) {
    if (now >= collectAt) {
      fullGc()
      collectAt = performance.now() + COLLECTION_EVERY_MS
    }
    await nextTurn()
  }
}
