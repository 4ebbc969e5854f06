import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { parseErrorBody } from '../../src/parse/parse-error-body.js'
import { fromJsonEntries, hostileString, hostileValue, nastyKey } from './hostile.js'
import { fuzzParameters, fuzzTimeoutMs } from '@keyless/test-support'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const SAFE = /^[A-Za-z][A-Za-z0-9_]{0,47}$/
const errorField = fc.oneof(hostileString, hostileValue, fc.stringMatching(SAFE), fc.constantFrom('eyJhbGciOi.eyJzdWIi.c2ln', 'invalid_request', 'a'.repeat(49)))
const errorBody = fc
  .tuple(
    fc.oneof(errorField, errorField.map((code) => ({ code, message: 'x' })), fc.array(fc.tuple(nastyKey, hostileValue), { maxLength: 2 }).map(fromJsonEntries)),
    fc.array(fc.tuple(fc.oneof(nastyKey, fc.constantFrom('error_description', 'message')), hostileValue), { maxLength: 3 }),
  )
  .map(([error, extra]) => fromJsonEntries([...extra, ['error', error]]))

describe('fuzz: parseErrorBody()', () => {
  it('never throws, and returns only one short word that was in the body', () => {
    fc.assert(
      fc.property(fc.oneof(hostileValue, errorBody), (body) => {
        const code = parseErrorBody(body)
        if (code === undefined) return
        expect(code).toMatch(SAFE)
        const error = (body as { error: unknown }).error
        expect(code === error || code === (error as { code?: unknown }).code).toBe(true)
      }),
      fuzzParameters(10_000),
    )
  })
})
