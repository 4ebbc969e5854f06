import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { inspect } from 'node:util'
import type { KeylessTokenProvider, ProviderEventName } from '@keyless/core'
import { startEmulator, type FaultStep } from '@keyless/emulator'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { workloadIdentity, type WorkloadIdentityOptions } from '../src/index.js'
import { settle, useEngineFakeTimers } from '@keyless/test-support'
import { changed, CLIENT_ID, fakeEntra, TENANT_ID, tempDir, tokenAnswer, VAULT, type FakeAnswer, type FakeEntra, type TempDir } from './fixtures.js'

/** A recognisable assertion: a JWT-looking head and a marker no code path produces by itself. */
const ASSERTION = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkFTU0VSVElPTiJ9.ASSERTION-MARKER-4b7e19.c2lnbmF0dXJl'
const MARKERS = ['ASSERTION-MARKER-4b7e19', 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkFTU0VSVElPTiJ9', 'c2lnbmF0dXJl']
const EVENTS: readonly ProviderEventName[] = ['hit', 'miss', 'refresh-start', 'refresh-success', 'refresh-failure', 'retry', 'breaker-open', 'breaker-close', 'evict']

let dir: TempDir
let entra: FakeEntra

beforeEach(async () => {
  dir = await tempDir()
  entra = fakeEntra()
})
afterEach(async () => {
  vi.useRealTimers()
  await entra.close()
  await dir.remove()
})

/** Everything a caller or an operator could print about a value, its `cause` chain included. */
export function printed(value: unknown): string {
  const chain: unknown[] = []
  for (let e: unknown = value; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain.map((e) => `${String(e)}\n${(e as Error).stack ?? ''}\n${JSON.stringify(e)}\n${inspect(e, { depth: 10, showHidden: true })}`).join('\n')
}

/** Subscribes to every event and records each as JSON and as `util.inspect` output. */
export function record(provider: KeylessTokenProvider, into: string[]): void {
  for (const type of EVENTS) provider.on(type, (event) => into.push(type, JSON.stringify(event), inspect(event, { depth: 10 })))
}

describe('workloadIdentity(): secrets', () => {
  it('keeps the assertion out of errors, events, stats and descriptions on every failure path', async () => {
    const tokenFilePath = await dir.write('azure-identity-token', `${ASSERTION}\n`)
    // Answers that echo the assertion back, as a careless proxy or a verbose error page might.
    const answers: FakeAnswer[] = [
      { status: 400, body: { error: 'invalid_client', error_description: `AADSTS700024: assertion ${ASSERTION} is not valid`, client_assertion: ASSERTION } },
      { status: 401, body: { error: ASSERTION, error_description: ASSERTION } },
      { status: 500, body: `<html>${ASSERTION}</html>` },
      { status: 429, body: { error: 'throttled', assertion: ASSERTION }, headers: { 'retry-after': '0' } },
      { status: 200, body: `{"access_token":"${ASSERTION}"` }, // not JSON
      { status: 200, body: { token_type: 'Bearer', expires_in: 3599, echo: ASSERTION } }, // no access_token
      { status: 200, body: { access_token: ASSERTION, expires_in: -5 } }, // already expired
      { status: 0, error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
    ]
    const output: string[] = []
    for (const answer of answers) {
      const provider = workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: entra.agent, retry: { retries: 0 } })
      record(provider, output)
      entra.enqueue(answer)
      const error = await provider.getToken(VAULT).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      output.push(printed(error), JSON.stringify(provider.stats()), inspect(provider.stats(), { depth: 10 }), provider.describe())
      output.push(printed(await provider.getToken(VAULT).catch((e: unknown) => e))) // the breaker's fail-fast error
      output.push(inspect(provider, { depth: 10, showHidden: true }))
      await provider.close()
    }

    // A token file that cannot be used, and an unreachable file, each drive federated-token-file.
    for (const path of [await dir.write('empty', '\n'), `${dir.path}/missing`]) {
      const provider = workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath: path, dispatcher: entra.agent })
      record(provider, output)
      output.push(printed(await provider.getToken(VAULT).catch((e: unknown) => e)))
      await provider.close()
    }

    // The successful path, a claims challenge and a forced refresh included.
    const provider = workloadIdentity({ clientId: CLIENT_ID, tenantId: TENANT_ID, tokenFilePath, dispatcher: entra.agent, forceRefreshIntervalMs: 0 })
    record(provider, output)
    entra.enqueue(tokenAnswer(1, { refresh_in: 1800 }))
    const token = await provider.getToken(VAULT)
    await provider.getToken(VAULT, { claims: '{"access_token":{}}' })
    await provider.getToken(VAULT, { forceRefresh: true })
    await provider.getToken(VAULT)
    output.push(JSON.stringify(token), inspect(token), JSON.stringify(provider.stats()), provider.describe(), inspect(provider, { depth: 10, showHidden: true }))
    await provider.close()

    // The assertion did reach the wire (so the test could fail) ...
    expect(entra.requests.every((r) => r.form.get('client_assertion') === ASSERTION)).toBe(true)
    expect(entra.requests.length).toBeGreaterThanOrEqual(answers.length + 3)
    // ... and nothing keyless gave back shows any part of it.
    const all = output.join('\n')
    expect(all).toContain('federated-token-file')
    for (const marker of MARKERS) expect(all).not.toContain(marker)
  })
})

describe('workloadIdentity() against the emulator: secrets', () => {
  it('keeps the emulator\'s service-account token out of everything keyless returns, on every failure path', async () => {
    await using emulator = await startEmulator()
    const { entra: wi } = emulator
    const base: WorkloadIdentityOptions = {
      clientId: wi.clientId,
      tenantId: wi.tenantId,
      tokenFilePath: wi.tokenFile,
      authorityHost: wi.authorityHost,
      ca: wi.caPem,
      retry: { retries: 0 },
      attemptTimeoutMs: 2000,
    }
    const assertions = [(await readFile(wi.tokenFile, 'utf8')).trim()]
    const output: string[] = []
    const drive = async (options: WorkloadIdentityOptions, step?: FaultStep): Promise<void> => {
      const provider = workloadIdentity({ ...base, ...options })
      record(provider, output)
      if (step !== undefined) emulator.faultsFor('entra').enqueue(step)
      output.push(printed(await settle(provider.getToken(VAULT)).catch((e: unknown) => e)))
      output.push(printed(await provider.getToken(VAULT).catch((e: unknown) => e)))
      output.push(JSON.stringify(provider.stats()), inspect(provider.stats(), { depth: 10 }), provider.describe(), inspect(provider, { depth: 10, showHidden: true }))
      await provider.close()
    }

    useEngineFakeTimers()
    const steps: FaultStep[] = [
      { status: 400 },
      { status: 401 },
      { status: 500 },
      { status: 429, retryAfter: '3' },
      { kind: 'non-json' },
      { kind: 'oversized' },
      { kind: 'no-access-token' },
      { kind: 'expires-in-past' }, // a 200 that carries a real, signed token
      { kind: 'reset' },
      { kind: 'hang' },
    ]
    for (const step of steps) await drive({}, step)
    await drive({ clientId: '99999999-9999-4999-8999-999999999999' }) // 400 unauthorized_client
    await drive({ tenantId: 'contoso.onmicrosoft.com' }) // 400 invalid_request
    await drive({ ca: undefined }) // TLS refused
    vi.useRealTimers()

    // A rotation, then the successful path with a forced refresh and a claims challenge.
    const provider = workloadIdentity({ ...base, forceRefreshIntervalMs: 0 })
    record(provider, output)
    const token = await provider.getToken(VAULT)
    await changed(dirname(wi.tokenFile), basename(wi.tokenFile), () => wi.rotateServiceAccountToken())
    assertions.push((await readFile(wi.tokenFile, 'utf8')).trim())
    await provider.getToken(VAULT, { forceRefresh: true })
    await provider.getToken(VAULT, { claims: '{"access_token":{}}' })
    output.push(JSON.stringify(token), inspect(token), JSON.stringify(provider.stats()), provider.describe(), inspect(provider, { depth: 10, showHidden: true }))
    await provider.close()

    // Every path reached the wire: one request per fault, per refusal and per success (TLS never got there).
    expect(emulator.counters.byEndpoint['entra']).toBe(steps.length + 2 + 3)
    const all = output.join('\n')
    for (const assertion of assertions) {
      const [, payload = '', signature = ''] = assertion.split('.')
      expect(payload.length).toBeGreaterThan(20)
      expect(all).not.toContain(payload)
      expect(all).not.toContain(signature)
    }
    expect(all).not.toContain('eyJ') // no JWT at all: neither an assertion nor an access token
  })
})
