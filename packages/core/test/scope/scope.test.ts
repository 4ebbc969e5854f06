import { describe, expect, it } from 'vitest'
import { assertSafeIdentifier, MAX_IDENTIFIER_LENGTH, MAX_SCOPE_LENGTH, scopeToResource, validateScope } from '../../src/scope/scope.js'

describe('validateScope()', () => {
  it.each([
    'https://vault.azure.net/.default',
    'https://vault.azure.net',
    'https://management.azure.com/',
    'api://00000000-0000-0000-0000-000000000000/.default',
    'https://storage.azure.com/user_impersonation',
    'x',
    `https://${'a'.repeat(MAX_SCOPE_LENGTH - 8)}`,
  ])('returns the valid scope %s unchanged', (scope) => {
    expect(validateScope(scope, 'imds')).toBe(scope)
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of one scope', ['https://vault.azure.net/.default']],
    ['empty', ''],
    ['too long', `https://${'a'.repeat(MAX_SCOPE_LENGTH - 7)}`],
    ['several scopes separated by a space', 'https://vault.azure.net/.default https://storage.azure.com/.default'],
    ['surrounded by spaces', ' https://vault.azure.net '],
    ['a tab', 'https://vault.azure.net\t'],
    ['a non-breaking space', 'https://vault\u00a0azure.net'],
    ['a newline', 'https://vault.azure.net\n'],
    ['a carriage return', 'https://vault.azure.net\rx'],
    ['a NUL', 'https://vault.azure.net\u0000'],
    ['an escape character', 'https://vault\u001b.azure.net'],
    ['a DEL', 'https://vault\u007f.azure.net'],
    ['/.default alone', '/.default'],
  ])('rejects a scope that is %s with invalid-scope', (_name, scope) => {
    expect(() => validateScope(scope, 'imds')).toThrow(expect.objectContaining({ code: 'invalid-scope', source: 'imds', retryable: false }))
  })
})

describe('scopeToResource()', () => {
  it.each([
    ['https://vault.azure.net/.default', 'https://vault.azure.net'],
    ['https://management.azure.com//.default', 'https://management.azure.com/'],
    ['https://vault.azure.net', 'https://vault.azure.net'],
    ['https://management.azure.com/', 'https://management.azure.com/'],
    ['https://x/.default/more', 'https://x/.default/more'],
    ['https://x/.default/.default', 'https://x/.default'],
    ['https://x.default', 'https://x.default'],
    ['api://app-id/.default', 'api://app-id'],
  ])('converts %s to %s', (scope, resource) => {
    expect(scopeToResource(scope)).toBe(resource)
  })
})

describe('assertSafeIdentifier()', () => {
  it.each([
    '00000000-0000-0000-0000-000000000000',
    '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/my-id',
    'x'.repeat(MAX_IDENTIFIER_LENGTH),
  ])('returns the safe identifier %s unchanged', (value) => {
    expect(assertSafeIdentifier(value, 'clientId', 'imds')).toBe(value)
  })

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['empty', ''],
    ['too long', 'x'.repeat(MAX_IDENTIFIER_LENGTH + 1)],
    ['a space', 'abc def'],
    ['a CR', 'abc\rdef'],
    ['a LF', 'abc\ndef'],
    ['a CRLF header injection', 'abc\r\nX-Evil: 1'],
    ['a NUL', 'abc\u0000'],
    ['a DEL', 'abc\u007f'],
    ['a tab', '\tabc'],
  ])('rejects an identifier that is %s with a config error', (_name, value) => {
    expect(() => assertSafeIdentifier(value, 'clientId', 'imds')).toThrow(expect.objectContaining({ code: 'config', source: 'imds' }))
  })
})
