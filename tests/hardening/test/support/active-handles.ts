/**
 * What a test left running: `process.getActiveResourcesInfo()` for ref'd handles, and an
 * async_hooks tracker for the unref'd timers keyless uses (which `getActiveResourcesInfo()` does
 * not list, yet which would still be leaks).
 */
import { createHook } from 'node:async_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** Resource kinds a keyless provider or plugin could leave behind. */
const KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'FSEventWrap', 'FSReqCallback', 'Timeout', 'StatWatcher', 'TLSWrap'] as const

/** The active resources of the kinds above, counted. Ref'd timers only: see {@link trackHandles}. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(KINDS.map((kind) => [kind, 0]))
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'TLSWRAP', 'Immediate'])
/**
 * Timers of the process rather than of the code under test: undici's one shared unref'd tick
 * (lib/util/timers.js), which stops by itself about a second after its last user; Node's unref'd
 * cache of the HTTP `Date` header. Matched anywhere in the stack that made the timer.
 */
const SHARED = [/undici[\\/]lib[\\/]util[\\/]timers\.js/, /internal[\\/]deps[\\/]undici/, /at utcDate \(node:internal\/http/]
/**
 * vitest's runner makes timers too, but the code under test runs inside the runner's calls, so
 * vitest is in almost every stack. Only a timer whose caller (the first frame outside Node and
 * this file) is vitest's own is vitest's.
 */
const RUNNER = /[\\/]@?vitest[\\/]/

function sharedTimer(stack: string): boolean {
  if (SHARED.some((pattern) => pattern.test(stack))) return true
  const caller = stack
    .split('\n')
    .slice(1)
    .find((frame) => !frame.includes('(node:') && !frame.includes(' node:') && !frame.includes('active-handles'))
  return caller !== undefined && RUNNER.test(caller)
}

export interface HandleTracker {
  /** Handles created since `trackHandles()` and not destroyed yet, with the stack that made each. */
  live(): { type: string; stack: string }[]
  stop(): void
}

/** Records every timer, socket, server and watcher created from now on, until destroyed. */
export function trackHandles(): HandleTracker {
  const live = new Map<number, { type: string; stack: string }>()
  const hook = createHook({
    init(asyncId, type) {
      if (!TRACKED.has(type)) return
      const stack = new Error().stack ?? ''
      if ((type === 'Timeout' || type === 'Immediate') && sharedTimer(stack)) return
      live.set(asyncId, { type, stack })
    },
    destroy(asyncId) {
      live.delete(asyncId)
    },
  }).enable()
  return { live: () => [...live.values()], stop: () => void hook.disable() }
}

/**
 * Yields to the event loop (setImmediate: no timer of its own) until `done()` holds or `maxTurns`
 * pass, so the far side of a closed socket and the destroy hooks can finish.
 */
export async function eventLoopTurns(done: () => boolean, maxTurns = 5000): Promise<void> {
  for (let turn = 0; turn < maxTurns && !done(); turn++) await nextTurn()
}

/**
 * Starts watching; the returned check waits for the event loop to settle, then asserts that the
 * active resources are back to the baseline and that nothing created since is still alive.
 */
export function watchResources(): { baseline: Record<string, number>; tracker: HandleTracker; leftovers(): Promise<{ active: Record<string, number>; live: string[] }> } {
  const baseline = activeResources()
  const tracker = trackHandles()
  return {
    baseline,
    tracker,
    async leftovers() {
      const same = (): boolean => sockets(activeResources()) === sockets(baseline) && tracker.live().filter((h) => h.type !== 'Immediate').length === 0
      await eventLoopTurns(same)
      tracker.stop()
      return { active: activeResources(), live: tracker.live().filter((h) => h.type !== 'Immediate').map((h) => `${h.type}\n${h.stack.split('\n').slice(2, 8).join('\n')}`) }
    },
  }
}

function sockets(counts: Record<string, number>): string {
  return JSON.stringify({ tcp: counts['TCPSocketWrap'], servers: counts['TCPServerWrap'], fs: counts['FSEventWrap'], stat: counts['StatWatcher'] })
}
