import { describe, expect, it, vi } from 'vitest'
import { resolveFastifyKeylessOptions } from '../src/fastify-keyless-options.js'
import { DEFAULT_ERROR_STATUS, DEFAULT_READINESS_URL, fastifyKeyless } from '../src/index.js'
import { useHarness, VAULT } from './harness.js'

const h = useHarness()

describe('fastifyKeyless(): options', () => {
  // Each case is passed to `register` as plain data, as a JavaScript caller or a config file would.
  const cases: [string, (provider: unknown, source: () => unknown) => unknown][] = [
    ['neither provider nor source', () => ({ scopes: [VAULT] })],
    ['both provider and source', (provider, source) => ({ provider, source })],
    ['a provider without getToken', () => ({ provider: { name: 'x' } })],
    ['a source that is not a function', (provider) => ({ source: provider })],
    ['an unknown key', (provider) => ({ provider, scope: VAULT })],
    ['an unknown readiness key', (provider) => ({ provider, scopes: [VAULT], readiness: { path: '/ready' } })],
    ['scopes that are not an array', (provider) => ({ provider, scopes: VAULT })],
    ['a scope with whitespace', (provider) => ({ provider, scopes: ['https://a/.default https://b/.default'] })],
    ['a scope with CR/LF', (provider) => ({ provider, scopes: ['https://vault.azure.net/.default\r\nX: 1'] })],
    ['an empty scope', (provider) => ({ provider, scopes: [''] })],
    ['a repeated scope', (provider) => ({ provider, scopes: [VAULT, VAULT] })],
    ['warmUp: true without scopes', (provider) => ({ provider, warmUp: true })],
    ['warmUp that is not a boolean', (provider) => ({ provider, scopes: [VAULT], warmUp: 'yes' })],
    ['failFast that is not a boolean', (provider) => ({ provider, scopes: [VAULT], failFast: 0 })],
    ['a readiness route without scopes', (provider) => ({ provider, readiness: true })],
    ['a readiness url without a leading slash', (provider) => ({ provider, scopes: [VAULT], readiness: { url: 'health' } })],
    ['an errorStatus below 400', (provider) => ({ provider, errorStatus: 200 })],
    ['an errorStatus that is not an integer', (provider) => ({ provider, errorStatus: 503.5 })],
    ['errorStatus: true', (provider) => ({ provider, errorStatus: true })],
  ]

  it.each(cases)('rejects registration with a config error for %s, before making a provider', async (_, build) => {
    const source = vi.fn(() => h.unmanagedProvider())
    const app = h.app()
    // Plain data on purpose: the type tests prove TypeScript rejects these at compile time.
    app.register(fastifyKeyless, build(h.provider(), source) as never)
    await expect(app.ready()).rejects.toMatchObject({ code: 'config', source: 'fastify' })
    expect(source).not.toHaveBeenCalled()
  })

  it('rejects registration with the factory error when source throws', async () => {
    const app = h.app()
    app.register(fastifyKeyless, {
      source: () => {
        throw Object.assign(new Error('bad endpoint'), { code: 'config' })
      },
    })
    await expect(app.ready()).rejects.toMatchObject({ code: 'config', message: 'bad endpoint' })
  })

  it('rejects registration when source returns something that is not a closable provider', async () => {
    const app = h.app()
    app.register(fastifyKeyless, { source: () => ({ name: 'x', getToken: () => Promise.reject(new Error('no')) }) as never })
    await expect(app.ready()).rejects.toMatchObject({ code: 'config', source: 'fastify' })
  })

  it('closes the provider it made when registration fails after making it', async () => {
    const made = h.unmanagedProvider()
    const close = vi.spyOn(made, 'close')
    const app = h.app()
    app.decorate('keyless', h.provider()) // taken already
    app.register(fastifyKeyless, { source: () => made })
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_DEC_ALREADY_PRESENT' })
    expect(close).toHaveBeenCalledOnce()
  })

  it('accepts the options Fastify itself reads from register (prefix, logLevel)', async () => {
    const app = h.app()
    await app.register(fastifyKeyless, { provider: h.provider(), prefix: '/api', logLevel: 'warn' })
    await expect(app.ready()).resolves.toBe(app)
  })
})

describe('resolveFastifyKeylessOptions()', () => {
  it('applies the documented defaults and never writes into the options', () => {
    const provider = h.provider()
    const options = Object.freeze({ provider, scopes: Object.freeze([VAULT]), readiness: true })
    expect(resolveFastifyKeylessOptions(options)).toEqual({
      provider,
      source: undefined,
      scopes: [VAULT],
      warmUp: true,
      failFast: true,
      readinessUrl: DEFAULT_READINESS_URL,
      errorStatus: DEFAULT_ERROR_STATUS,
    })
    expect(resolveFastifyKeylessOptions({ provider })).toMatchObject({ scopes: [], warmUp: false, readinessUrl: undefined })
    expect(resolveFastifyKeylessOptions({ provider, errorStatus: false }).errorStatus).toBeUndefined()
  })

  it('names the option but never quotes a bad scope', () => {
    const scope = 'https://vault.azure.net/.default\r\nInjected: yes'
    expect(() => resolveFastifyKeylessOptions({ provider: h.provider(), scopes: [VAULT, scope] })).toThrow(
      expect.objectContaining({ code: 'config', message: expect.stringContaining('scopes[1]') }),
    )
    let caught: unknown
    try {
      resolveFastifyKeylessOptions({ provider: h.provider(), scopes: [scope] })
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'config', cause: { code: 'invalid-scope' } })
    expect(`${String(caught)} ${JSON.stringify(caught)}`).not.toContain('Injected')
  })
})
