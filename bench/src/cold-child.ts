/**
 * The measured process of the cold-start scenario: a new Node process whose only job is its first
 * token. Forked by `cold-start.ts` with the emulator's URL; it reports, over IPC, the time from the
 * process start (`performance.timeOrigin`) to the first token, and from just before the subject's
 * `import` to it.
 *
 * Usage (by cold-start.js only): `node cold-child.js '{"subject":"keyless","url":"http://127.0.0.1:…"}'`
 *
 * @module
 */
import { loopbackGuardActive } from './loopback-guard.js'
import { performance } from 'node:perf_hooks'

export interface ColdReply {
  ok: boolean
  /** ms from process start to the line before the import. */
  bootMs: number
  /** ms from process start to the first token. */
  firstTokenMs: number
  error?: string
}

const beforeImport = performance.now()
const { subject, url } = JSON.parse(process.argv[2] ?? '{}') as { subject: 'keyless' | 'azure'; url: string }
const scope = 'https://vault.azure.net/.default'
let reply: ColdReply
try {
  if (!loopbackGuardActive()) throw new Error('the loopback guard is not installed')
  if (subject === 'keyless') {
    const { imds } = await import('@keyless/imds')
    const provider = imds({ endpoint: url })
    await provider.getToken(scope)
    reply = { ok: true, bootMs: beforeImport, firstTokenMs: performance.now() }
    await provider.close()
  } else {
    process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = url
    const { ManagedIdentityCredential } = await import('@azure/identity')
    await new ManagedIdentityCredential().getToken(scope)
    reply = { ok: true, bootMs: beforeImport, firstTokenMs: performance.now() }
  }
} catch (error) {
  reply = { ok: false, bootMs: beforeImport, firstTokenMs: Number.NaN, error: String((error as Error)?.message ?? error).slice(0, 200) }
}
process.send?.(reply, () => process.exit(0))
