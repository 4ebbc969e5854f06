/**
 * Runs an `@azure/identity` credential in a child Node process, the only way to give it
 * `NODE_EXTRA_CA_CERTS` (Node reads it at start-up only). The child gets the same loopback
 * guard as the tests (`/test/loopback-only.ts`), preloaded with `--import`, and an environment
 * of only what the caller passes (plus PATH), so no proxy or Azure variable leaks in.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The guard of `/test/loopback-only.ts`, as plain JavaScript; it also reports each refusal on stderr. */
const GUARD_SOURCE = String.raw`
import net from 'node:net'
const original = net.Socket.prototype.connect
function isLoopbackHost(host) {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7))
  return net.isIPv4(h) && h.startsWith('127.')
}
function targetHost(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (typeof first === 'object' && first !== null) {
    if (typeof first.path === 'string') return undefined
    return typeof first.host === 'string' ? first.host : 'localhost'
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost'
  }
  return undefined
}
net.Socket.prototype.connect = function guardedConnect(...args) {
  const host = targetHost(args)
  if (host !== undefined && !isLoopbackHost(host)) {
    process.stderr.write('loopback guard: refused ' + host + '\n')
    const error = Object.assign(new Error('test guard: refused a connection to non-loopback host ' + host), { code: 'ERR_TEST_NON_LOOPBACK' })
    process.nextTick(() => this.destroy(error))
    return this
  }
  return original.apply(this, args)
}
`

/** Gets one token with the credential the spec names and prints the outcome as one JSON line. */
const SCRIPT_SOURCE = String.raw`
import { createRequire } from 'node:module'
import net from 'node:net'
const spec = JSON.parse(process.argv[2])
function describe(error, depth = 0) {
  if (error === null || typeof error !== 'object' || depth > 4) return String(error)
  return [error.name, error.code, error.message, describe(error.cause, depth + 1)].filter(Boolean).join(' | ')
}
try {
  if (spec.kind === 'probe') {
    // Only once the guard is known to be installed is a non-loopback connect attempted.
    if (net.Socket.prototype.connect.name !== 'guardedConnect') throw new Error('the loopback guard is not installed')
    const error = await new Promise((resolve) => {
      const socket = net.connect(443, spec.host)
      socket.once('connect', () => resolve(new Error('connected to ' + spec.host)))
      socket.once('error', resolve)
    })
    throw error
  }
  const identity = createRequire(import.meta.url)(spec.identityPath)
  const credential = spec.kind === 'workload'
    ? new identity.WorkloadIdentityCredential(spec.options)
    : new identity.ManagedIdentityCredential(spec.options)
  const token = await credential.getToken(spec.scope)
  const payload = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString('utf8'))
  console.log(JSON.stringify({ ok: true, aud: payload.aud, token: token.token, expiresOnTimestamp: token.expiresOnTimestamp, refreshAfterTimestamp: token.refreshAfterTimestamp ?? null }))
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: describe(error) }))
  process.exitCode = 1
}
`

/** What the child printed. */
export type ChildOutcome =
  | { readonly ok: true; readonly aud: string; readonly token: string; readonly expiresOnTimestamp: number; readonly refreshAfterTimestamp: number | null }
  | { readonly ok: false; readonly error: string }

export interface ChildRun {
  readonly outcome: ChildOutcome
  readonly code: number | null
  readonly stderr: string
}

export type ChildSpec =
  | { readonly kind: 'workload'; readonly options: Record<string, unknown>; readonly scope: string }
  | { readonly kind: 'managed'; readonly options: Record<string, unknown>; readonly scope: string }
  | { readonly kind: 'probe'; readonly host: string }

/** `@azure/identity` as this package resolves it (its CommonJS entry). */
const IDENTITY_PATH = createRequire(import.meta.url).resolve('@azure/identity')

/** Runs the spec in a child with exactly `env` (and PATH); resolves when it exits. */
export async function runChildCredential(spec: ChildSpec, env: Record<string, string>): Promise<ChildRun> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-emulator-child-'))
  try {
    const guard = join(dir, 'loopback-guard.mjs')
    const script = join(dir, 'get-token.mjs')
    await writeFile(guard, GUARD_SOURCE)
    await writeFile(script, SCRIPT_SOURCE)
    const child = spawn(process.execPath, ['--import', pathToFileURL(guard).href, script, JSON.stringify({ ...spec, identityPath: IDENTITY_PATH })], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (exitCode) => resolve(exitCode))
    })
    const line = stdout.trim().split('\n').at(-1) ?? ''
    let outcome: ChildOutcome
    try {
      outcome = JSON.parse(line) as ChildOutcome
    } catch {
      outcome = { ok: false, error: `no JSON outcome; stdout: ${stdout} stderr: ${stderr}` }
    }
    return { outcome, code, stderr }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
