import { inspect } from 'node:util'
import { startEmulator, type Emulator, type FaultStep } from '@keyless/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { imds } from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'

const VAULT = 'https://vault.azure.net/.default'
const MARKER = 'SECRET-IN-ERROR-BODY-7f3a'
let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator()
})
afterEach(() => {
  vi.useRealTimers()
  emulator.reset()
})
afterAll(async () => {
  await emulator.close()
})

/** Everything a caller or an operator could print about a failure. */
function printed(value: unknown): string {
  const chain: unknown[] = []
  for (let e: unknown = value; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain.map((e) => `${String(e)}\n${JSON.stringify(e)}\n${inspect(e, { depth: 10 })}`).join('\n')
}

describe('imds(): secrets', () => {
  it('keeps every token and response body out of errors, events and stats on every failure path', async () => {
    useEngineFakeTimers()
    const steps: FaultStep[] = [
      { kind: 'expires-in-past' }, // a 200 that carries a real, signed token
      { kind: 'no-access-token' },
      { kind: 'non-json', body: `{"access_token":"${MARKER}"` },
      { kind: 'oversized' },
      { status: 400, body: { error: 'invalid_request', error_description: MARKER, access_token: MARKER } },
      { status: 500, body: { error: MARKER, error_description: MARKER } },
      { kind: 'reset' },
    ]
    const output: string[] = []
    for (const step of steps) {
      const provider = imds({ endpoint: emulator.url, retry: { retries: 0 } })
      for (const type of ['miss', 'refresh-start', 'refresh-failure', 'retry', 'breaker-open'] as const) {
        provider.on(type, (event) => output.push(JSON.stringify(event), inspect(event)))
      }
      emulator.faults.enqueue(step)
      const error = await settle(provider.getToken(VAULT)).catch((e: unknown) => e)
      output.push(printed(error), JSON.stringify(provider.stats()))
      output.push(printed(await provider.getToken(VAULT).catch((e: unknown) => e))) // the breaker's fail-fast error
      await provider.close()
    }
    vi.useRealTimers()
    // The successful path: the token must not show when the value or the provider is printed.
    const provider = imds({ endpoint: emulator.url })
    const token = await provider.getToken(VAULT)
    output.push(JSON.stringify(token), inspect(token), inspect(provider, { depth: 10 }), JSON.stringify(provider.stats()))
    await provider.close()

    const all = output.join('\n')
    expect(all).not.toContain(MARKER)
    expect(all).not.toContain('eyJ') // any JWT (the emulator's tokens are JWTs)
    expect(all).not.toContain(token.token)
    expect(all).not.toContain('api-version=') // no query string
  })
})
