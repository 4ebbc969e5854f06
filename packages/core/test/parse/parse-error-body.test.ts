import { describe, expect, it } from 'vitest'
import { parseErrorBody } from '../../src/parse/parse-error-body.js'

describe('parseErrorBody()', () => {
  it('reads a string error identifier', () => {
    expect(parseErrorBody({ error: 'invalid_request', error_description: 'Identity not found' })).toBe('invalid_request')
    expect(parseErrorBody({ error: 'bad_request_102' })).toBe('bad_request_102')
  })

  it('reads the code of an error object', () => {
    expect(parseErrorBody({ error: { code: 'Throttled', message: 'slow down' } })).toBe('Throttled')
  })

  it.each([
    ['a body that is not an object', 'invalid_request'],
    ['null', null],
    ['an array', [{ error: 'x' }]],
    ['no error field', { message: 'Unable to load the proper Managed Identity.' }],
    ['an identifier with spaces', { error: 'not found' }],
    ['an identifier over 64 characters', { error: 'a'.repeat(65) }],
    ['an empty identifier', { error: '' }],
    ['an identifier with a newline', { error: 'a\nb' }],
    ['a numeric error', { error: 400 }],
    ['an error object without a string code', { error: { code: 7 } }],
  ])('returns undefined for %s', (_name, body) => {
    expect(parseErrorBody(body)).toBeUndefined()
  })
})
