import { describe, expect, it } from 'vitest'
import { sliceOrder } from '../src/slice-order.js'

const slot = (key: string, server: string) => ({ key, server })
const keysOf = (slots: readonly { key: string }[]) => slots.map((s) => s.key).join(' ')

describe('the order of a cycle of plugin-overhead slices', () => {
  const slots = [[slot('none', 'A')], [slot('keyless', 'B')], [slot('off', 'S'), slot('on', 'S')]]

  it('keeps a server’s slots together when the rotation would wrap between them', () => {
    // Rotating the four slots by 3 would start at `on` and end at `off`; by server, never.
    expect(keysOf(sliceOrder(slots, 0))).toBe('none keyless off on')
    expect(keysOf(sliceOrder(slots, 2))).toBe('off on none keyless')
    expect(keysOf(sliceOrder(slots, 3))).toBe('none keyless on off')
  })

  it('flips the order of one server’s slots every other turn, so over an even count each leads as often', () => {
    const onFirst = [0, 1, 2, 3, 4, 5].map((turn) => {
      const keys = sliceOrder(slots, turn).map((s) => s.key)
      return keys.indexOf('on') < keys.indexOf('off')
    })
    expect(onFirst).toEqual([false, true, false, true, false, true])
  })

  it('rotates servers one place a turn, as `rotated` does, and leaves the list as it was', () => {
    const leaders = [0, 1, 2, 3].map((turn) => sliceOrder(slots, turn)[0]?.server)
    expect(leaders).toEqual(['A', 'B', 'S', 'A'])
    expect(keysOf(slots.flat())).toBe('none keyless off on')
    expect(sliceOrder([], 7)).toEqual([])
  })
})
