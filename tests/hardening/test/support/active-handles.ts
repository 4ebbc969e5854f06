/**
 * What a test left running: `process.getActiveResourcesInfo()` for ref'd handles, and an
 * async_hooks tracker for the unref'd timers keyless uses (which `getActiveResourcesInfo()` does
 * not list, yet which would still be leaks).
 */
import { eventLoopTurns, trackHandles, type HandleTracker } from '@keyless/test-support'

export { eventLoopTurns }

/** Resource kinds a keyless provider or plugin could leave behind. */
const KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'FSEventWrap', 'FSReqCallback', 'Timeout', 'StatWatcher', 'TLSWrap'] as const

/** The active resources of the kinds above, counted. Ref'd timers only: see {@link trackHandles}. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(KINDS.map((kind) => [kind, 0]))
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
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
      const same = (): boolean => sockets(activeResources()) === sockets(baseline) && tracker.live().length === 0
      await eventLoopTurns(same)
      tracker.stop()
      return { active: activeResources(), live: tracker.live().map((h) => `${h.type}\n${madeAt(h.stack)}`) }
    },
  }
}

function sockets(counts: Record<string, number>): string {
  return JSON.stringify({ tcp: counts['TCPSocketWrap'], servers: counts['TCPServerWrap'], fs: counts['FSEventWrap'], stat: counts['StatWatcher'] })
}

/** The first frames of `stack` outside Node and the tracker's hook: where a leftover handle was made. */
function madeAt(stack: string): string {
  return stack
    .split('\n')
    .slice(2)
    .filter((frame) => !frame.includes('node:'))
    .slice(0, 6)
    .join('\n')
}
