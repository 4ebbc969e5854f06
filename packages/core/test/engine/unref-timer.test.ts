import v8 from 'node:v8'
import { fullGc } from '@keyless/test-support'
import { describe, expect, it, vi } from 'vitest'
import { clearUnrefTimeout, MAX_TIMER_DELAY_MS, unrefTimeout, type Timer } from '../../src/engine/unref-timer.js'

/** Two full GCs. */
function collect(): void {
  fullGc()
  fullGc()
}

/** Heap bytes kept per timer after re-arming one unref'd timer `n` times, each with a new duration, then clearing it. */
function retainedPerRearm(clear: (timer: Timer) => void, n = 5000): number {
  collect()
  const before = v8.getHeapStatistics().used_heap_size
  let timer: Timer | undefined
  for (let i = 0; i < n; i++) {
    if (timer !== undefined) clear(timer)
    timer = unrefTimeout(() => {}, 3_600_000 + i * 7) // an hour and more: none fires during the test
  }
  if (timer !== undefined) clear(timer)
  collect()
  return (v8.getHeapStatistics().used_heap_size - before) / n
}

describe('clearUnrefTimeout()', () => {
  it('frees the timer list Node keeps for a cleared unref\'d timer of a new duration (plain clearTimeout keeps it until the due time)', () => {
    const kept = retainedPerRearm((timer) => clearTimeout(timer))
    const freed = retainedPerRearm(clearUnrefTimeout)
    expect(kept).toBeGreaterThan(60) // the control: about 140 B per re-arm on Node 20 and 24
    expect(freed).toBeLessThan(20)
  })

  it('leaves the process free to exit: the timer is unref\'d, and clearing it leaves no ref\'d handle', () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
    const before = timeouts()
    const timer = unrefTimeout(() => {}, 60_000)
    expect(timer.hasRef()).toBe(false)
    expect(timeouts()).toBe(before)
    clearUnrefTimeout(timer)
    clearUnrefTimeout(undefined)
    expect(timeouts()).toBe(before)
  })

  it('waits its longest delay for a longer one, where setTimeout alone would fire after 1 ms', async () => {
    vi.useFakeTimers()
    try {
      const fired = vi.fn()
      unrefTimeout(fired, 2 ** 32)
      await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS - 1)
      expect(fired).not.toHaveBeenCalled()
      await vi.advanceTimersByTimeAsync(1)
      expect(fired).toHaveBeenCalledOnce()
    } finally {
      vi.useRealTimers()
    }
  })
})
