import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { assertSafeIdentifier, MAX_IDENTIFIER_LENGTH, MAX_SCOPE_LENGTH, scopeToResource, validateScope } from '../../src/scope/scope.js'
import { coded } from './coded.js'
import { hostileString, hostileValue, nastyChar } from './hostile.js'
import { fuzzParameters, fuzzTimeoutMs } from '@keyless/test-support'

vi.setConfig({ testTimeout: fuzzTimeoutMs() })

const CONTROL_OR_SPACE = /[\u0000-\u001f\u007f\s]/

/** Realistic scopes and resources, then broken at a random place with a hostile character or string. */
const realistic = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webUrl().map((url) => `${url.replace(/\/$/, '')}/.default`),
  fc.constantFrom('https://vault.azure.net/.default', 'https://management.azure.com/', 'api://4a8b-11/.default', '/.default', '.default', '//.default'),
)
const scopeLike = fc.oneof(
  realistic,
  fc.tuple(realistic, fc.nat(), fc.oneof(nastyChar, hostileString)).map(([scope, at, insert]) => scope.slice(0, at % (scope.length + 1)) + insert + scope.slice(at % (scope.length + 1))),
  hostileString,
  hostileValue,
  fc.integer({ min: MAX_SCOPE_LENGTH - 2, max: MAX_SCOPE_LENGTH + 2 }).map((n) => 'a'.repeat(n)),
)

describe('fuzz: validateScope(), scopeToResource() and assertSafeIdentifier()', () => {
  it('a scope validates or is refused with invalid-scope; one that validates maps to a clean resource', () => {
    fc.assert(
      fc.property(scopeLike, (scope) => {
        const outcome = coded(['invalid-scope'], () => validateScope(scope, 'fuzz'))
        if (!outcome.ok) {
          // The message never quotes the scope (its fixed example aside).
          const message = outcome.error.message.replaceAll('https://vault.azure.net/.default', '')
          if (typeof scope === 'string' && scope.length >= 12) expect(message.includes(scope)).toBe(false)
          return
        }
        expect(outcome.value).toBe(scope)
        const resource = scopeToResource(outcome.value)
        expect(resource).not.toBe('')
        expect(resource).not.toMatch(CONTROL_OR_SPACE) // no CR/LF or other control character can reach a URL
        expect(resource.length).toBeLessThanOrEqual(MAX_SCOPE_LENGTH)
        expect(outcome.value.startsWith(resource)).toBe(true)
        expect(scopeToResource(`${resource}/.default`)).toBe(resource) // the v2 spelling maps to the same key
      }),
      fuzzParameters(15_000),
    )
  })

  it('an identifier is returned unchanged or refused with config, and never carries a control character', () => {
    const identifier = fc.oneof(
      fc.uuid(),
      fc.tuple(fc.uuid(), fc.nat(), nastyChar).map(([id, at, c]) => id.slice(0, at % 37) + c + id.slice(at % 37)),
      hostileString,
      hostileValue,
      fc.integer({ min: MAX_IDENTIFIER_LENGTH - 1, max: MAX_IDENTIFIER_LENGTH + 1 }).map((n) => 'f'.repeat(n)),
    )
    fc.assert(
      fc.property(identifier, (value) => {
        const outcome = coded(['config'], () => assertSafeIdentifier(value, 'clientId', 'fuzz'))
        if (!outcome.ok) {
          if (typeof value === 'string' && value.length >= 12) expect(outcome.error.message.includes(value)).toBe(false)
          return
        }
        expect(outcome.value).toBe(value)
        expect(outcome.value).not.toMatch(CONTROL_OR_SPACE)
        expect(outcome.value.length).toBeGreaterThan(0)
        expect(outcome.value.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH)
      }),
      fuzzParameters(10_000),
    )
  })
})
