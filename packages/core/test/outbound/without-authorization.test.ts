import { describe, expect, it } from 'vitest'
import { withoutAuthorization } from '../../src/outbound/without-authorization.js'

describe('withoutAuthorization()', () => {
  it.each([
    ['a record', { Accept: 'a', AUTHORIZATION: 'x' }],
    ['a flat list', ['Accept', 'a', 'authorization', 'x']],
    ['a list of pairs', [['Accept', 'a'], ['Authorization', 'x']]],
    ['a Map', new Map([['Accept', 'a'], ['authorization', 'x']])],
    ['Headers', new Headers({ accept: 'a', authorization: 'x' })],
  ])('drops Authorization from %s and keeps the rest', (_name, headers) => {
    const list = withoutAuthorization(headers as never)
    expect(list.map((item, i) => (i % 2 === 0 ? item.toLowerCase() : item))).toEqual(['accept', 'a'])
  })

  it('gives an array value one entry per value and drops undefined values', () => {
    expect(withoutAuthorization({ 'x-many': ['1', '2'], 'x-none': undefined } as never)).toEqual(['x-many', '1', 'x-many', '2'])
  })

  it('gives an empty list for no headers', () => {
    expect(withoutAuthorization(null)).toEqual([])
    expect(withoutAuthorization(undefined)).toEqual([])
  })

  it('leaves the caller’s headers untouched', () => {
    const headers = Object.freeze({ authorization: 'x', accept: 'a' })
    withoutAuthorization(headers)
    expect(headers).toEqual({ authorization: 'x', accept: 'a' })
  })
})
