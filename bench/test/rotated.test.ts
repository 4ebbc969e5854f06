import { describe, expect, it } from 'vitest'
import { rotated } from '../src/rotated.js'

describe('the order the bench loads its servers in', () => {
  it('starts one further along each cycle, so every server leads once per full turn', () => {
    const servers = ['a', 'b', 'c']
    const orders = [0, 1, 2, 3].map((cycle) => rotated(servers, cycle).join(''))
    expect(orders).toEqual(['abc', 'bca', 'cab', 'abc'])
    expect(servers).toEqual(['a', 'b', 'c']) // a copy: the list itself keeps its order
  })

  it('adds an offset (the run) to the cycle, and copes with an empty list', () => {
    expect(rotated([1, 2, 3, 4], 2 + 3)).toEqual([2, 3, 4, 1])
    expect(rotated([], 5)).toEqual([])
  })
})
