import { errors } from 'undici'
import { describe, expect, it } from 'vitest'
import { networkError } from '../../src/http/network-error.js'

const context = { source: 'app-service', url: new URL('http://127.0.0.1:41741/msi/token?resource=r&api-version=2019-08-01') }

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:41741`), { code })
}

describe('networkError()', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_SOCKET'])(
    'maps %s to a retryable network error',
    (code) => {
      expect(networkError(systemError(code), context)).toMatchObject({ code: 'network', retryable: true, source: 'app-service' })
    },
  )

  it('maps undici header, body and connect timeouts to a retryable timeout', () => {
    for (const error of [new errors.HeadersTimeoutError(), new errors.BodyTimeoutError(), new errors.ConnectTimeoutError()]) {
      expect(networkError(error, context)).toMatchObject({ code: 'timeout', retryable: true })
    }
  })

  it('maps undici socket errors to a retryable network error', () => {
    expect(networkError(new errors.SocketError('other side closed'), context)).toMatchObject({ code: 'network', retryable: true })
  })

  it('finds the code on a cause or in an AggregateError', () => {
    const wrapped = new TypeError('fetch failed', { cause: systemError('ECONNRESET') })
    expect(networkError(wrapped, context)).toMatchObject({ code: 'network', retryable: true })
    const aggregate = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'all attempts failed')
    expect(networkError(aggregate, context)).toMatchObject({ code: 'network', retryable: true })
  })

  it('maps unknown failures to a network error that is not retryable', () => {
    for (const error of [systemError('CERT_HAS_EXPIRED'), new errors.InvalidArgumentError('bad header'), new Error('weird'), 'a string', undefined]) {
      expect(networkError(error, context)).toMatchObject({ code: 'network', retryable: false })
    }
  })

  it('keeps the original error as cause', () => {
    const original = systemError('ECONNREFUSED')
    expect(networkError(original, context).cause).toBe(original)
  })

  it('names the host, path and error code in the message, never the query string', () => {
    const { message } = networkError(systemError('ECONNREFUSED'), context)
    expect(message).toContain('127.0.0.1:41741/msi/token')
    expect(message).toContain('ECONNREFUSED')
    expect(message).not.toContain('resource=')
    expect(message).not.toContain('api-version')
  })
})
