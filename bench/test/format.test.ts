import { describe, expect, it } from 'vitest'
import { percent, ratio, ratio3 } from '../src/format.js'

describe('how the reports write ratios and shares', () => {
  it('keeps three decimals on a ratio where two would print a figure under the 0.97 target as 0.97×', () => {
    expect(ratio(0.9694)).toBe('0.97×')
    expect(ratio3(0.9694)).toBe('0.969×')
    expect(ratio3(Number.NaN)).toBe('—')
  })

  it('writes a fraction as a percentage to one decimal, dropping a trailing zero', () => {
    expect(percent(0.162)).toBe('16.2 %')
    expect(percent(0.03)).toBe('3 %')
    expect(percent(0.0004)).toBe('0 %')
    expect(percent(Number.POSITIVE_INFINITY)).toBe('—')
  })
})
