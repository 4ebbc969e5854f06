import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_RETRY_AFTER_MS, statusError, type ResponseHeaders, type StatusErrorContext } from '../../src/http/status-error.js'

// IMDS retries 404, 408, 410, 429 and 5xx (reference/protocols.md §1.6).
const IMDS_RETRYABLE = new Set([404, 408, 410, 429, 500, 501, 502, 503, 504, 505])
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)
const context: StatusErrorContext = {
  source: 'imds',
  url: new URL('http://127.0.0.1:8080/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault'),
  retryableStatuses: IMDS_RETRYABLE,
  now: () => NOW,
}

function retryAfter(headers: ResponseHeaders, extra: Partial<StatusErrorContext> = {}): number | undefined {
  return statusError(503, headers, undefined, { ...context, ...extra }).retryAfterMs
}

describe('statusError()', () => {
  it.each([
    [300, 'rejected', false],
    [301, 'rejected', false],
    [302, 'rejected', false],
    [303, 'rejected', false],
    [307, 'rejected', false],
    [308, 'rejected', false],
    [400, 'rejected', false],
    [401, 'rejected', false],
    [403, 'rejected', false],
    [404, 'endpoint-unavailable', true],
    [405, 'rejected', false],
    [408, 'endpoint-unavailable', true],
    [409, 'rejected', false],
    [410, 'endpoint-unavailable', true],
    [429, 'throttled', true],
    [500, 'endpoint-unavailable', true],
    [501, 'endpoint-unavailable', true],
    [502, 'endpoint-unavailable', true],
    [503, 'endpoint-unavailable', true],
    [504, 'endpoint-unavailable', true],
    [505, 'endpoint-unavailable', true],
  ] as const)('classifies %i as %s (retryable: %s under the IMDS set)', (status, code, retryable) => {
    expect(statusError(status, {}, undefined, context)).toMatchObject({ code, retryable, status, source: 'imds' })
  })

  it('reads retryable from the source set only', () => {
    expect(statusError(500, {}, undefined, { ...context, retryableStatuses: new Set([429]) })).toMatchObject({
      code: 'endpoint-unavailable',
      retryable: false,
    })
    expect(statusError(400, {}, undefined, { ...context, retryableStatuses: new Set([400]) })).toMatchObject({
      code: 'endpoint-unavailable',
      retryable: true,
    })
  })

  it('calls a 404 or 410 the source does not retry rejected, so code and retryable agree', () => {
    for (const status of [404, 408, 410]) {
      expect(statusError(status, {}, undefined, { ...context, retryableStatuses: new Set([429, 500]) })).toMatchObject({
        code: 'rejected',
        retryable: false,
      })
    }
  })

  it('withholds an upstream identifier that echoes a request header value', () => {
    const secret = 'EchoedSecretHeaderValue'
    const echoed = statusError(401, {}, { error: secret }, { ...context, withheld: ['true', secret] })
    expect(echoed.upstreamError).toBeUndefined()
    expect(JSON.stringify(echoed)).not.toContain(secret)
    expect(echoed.message).not.toContain(secret)
    expect(statusError(400, {}, { error: 'invalid_request' }, { ...context, withheld: ['true'] }).upstreamError).toBe('invalid_request')
  })

  it('names the source, host, path and status in the message, never the query string', () => {
    const { message } = statusError(400, {}, { error: 'invalid_request' }, context)
    expect(message).toContain('imds: 127.0.0.1:8080/metadata/identity/oauth2/token answered 400 (invalid_request)')
    expect(message).not.toContain('api-version')
    expect(message).not.toContain('resource=')
    expect(message).not.toContain('vault')
  })

  it('exposes a safe upstream error identifier from error or error.code', () => {
    expect(statusError(400, {}, { error: 'bad_request_102' }, context).upstreamError).toBe('bad_request_102')
    expect(statusError(400, {}, { error: { code: 'ManagedIdentityNotFound', message: 'x' } }, context).upstreamError).toBe('ManagedIdentityNotFound')
  })

  it('drops an upstream error identifier that is not a short safe token', () => {
    for (const body of [{ error: 'has space' }, { error: 'x'.repeat(65) }, { error: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }, { error: 'opaque-token-1234' }, { error: 42 }, { message: 'm' }, 'text', undefined]) {
      expect(statusError(400, {}, body, context).upstreamError).toBeUndefined()
    }
  })

  describe('retryAfterMs', () => {
    it('reads Retry-After delta seconds', () => {
      expect(retryAfter({ 'retry-after': '3' })).toBe(3000)
      expect(retryAfter({ 'retry-after': '0' })).toBe(0)
    })

    it('reads a Retry-After HTTP date relative to now', () => {
      expect(retryAfter({ 'retry-after': new Date(NOW + 5000).toUTCString() })).toBe(5000)
    })

    it('reads an HTTP date in the past as no wait', () => {
      expect(retryAfter({ 'retry-after': new Date(NOW - 5000).toUTCString() })).toBe(0)
    })

    it('ignores an invalid Retry-After', () => {
      for (const value of ['soon', '-5', '1.5', '', '12abc', 'Mon, 99 Foo 2026 25:00:00 GMT']) {
        expect(retryAfter({ 'retry-after': value })).toBeUndefined()
      }
    })

    it('is undefined without a Retry-After header', () => {
      expect(retryAfter({})).toBeUndefined()
    })

    it('caps the wait at maxRetryAfterMs, by default one minute', () => {
      expect(retryAfter({ 'retry-after': '3600' })).toBe(DEFAULT_MAX_RETRY_AFTER_MS)
      expect(retryAfter({ 'retry-after': new Date(NOW + 3_600_000).toUTCString() })).toBe(DEFAULT_MAX_RETRY_AFTER_MS)
      expect(retryAfter({ 'retry-after': '10' }, { maxRetryAfterMs: 2000 })).toBe(2000)
    })

    it('reads retry-after-ms and x-ms-retry-after-ms before Retry-After', () => {
      expect(retryAfter({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250)
      expect(retryAfter({ 'x-ms-retry-after-ms': '1500' })).toBe(1500)
      expect(retryAfter({ 'retry-after-ms': 'bad', 'retry-after': '2' })).toBe(2000)
      expect(retryAfter({ 'retry-after-ms': '999999999' })).toBe(DEFAULT_MAX_RETRY_AFTER_MS)
    })

    it('reads the first of a repeated header and any header-name case', () => {
      expect(retryAfter({ 'retry-after': ['4', '8'] })).toBe(4000)
      expect(retryAfter({ 'Retry-After': '6' })).toBe(6000)
    })
  })
})
