/**
 * The measured process of the Workload Identity scenario: started by `wi-scenario.ts` with the
 * emulator's Workload Identity environment (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
 * `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST` = the emulator's HTTPS Entra server on
 * 127.0.0.1, and `NODE_EXTRA_CA_CERTS` = its CA, which Node reads at process start only). It loads
 * one subject, then times {@link WI_CALLS} awaited `getToken` calls and reports over IPC.
 *
 * Usage (by wi-scenario.js only): `node wi-child.js '{"subject":"keyless"}'`
 *
 * @module
 */
import { loopbackGuardActive } from './loopback-guard.js'
import { performance } from 'node:perf_hooks'
import { WI_CALLS } from './wi-scenario.js'

import type { WI_SUBJECTS } from './constants.js'

export type WiSubject = (typeof WI_SUBJECTS)[number]

export interface WiReply {
  ok: boolean
  wallMs: number
  firstCallMs: number
  failed: number
  error?: string
}

const { subject } = JSON.parse(process.argv[2] ?? '{}') as { subject: WiSubject }
const scope = 'https://vault.azure.net/.default'
let reply: WiReply
try {
  if (!loopbackGuardActive()) throw new Error('the loopback guard is not installed')
  let get: (scope: string) => Promise<unknown>
  if (subject === 'keyless') {
    const { workloadIdentity } = await import('@keyless/workload-identity')
    const { BENCH_SEED, mulberry32 } = await import('./prng.js')
    const provider = workloadIdentity({ random: mulberry32(BENCH_SEED) }) // everything else from the environment
    get = (s) => provider.getToken(s)
  } else if (subject === 'azure-mi') {
    const { ManagedIdentityCredential } = await import('@azure/identity')
    const credential = new ManagedIdentityCredential() // AKS variables: the token-exchange path
    get = (s) => credential.getToken(s)
  } else {
    const { WorkloadIdentityCredential } = await import('@azure/identity')
    // disableInstanceDiscovery: otherwise MSAL asks login.microsoftonline.com about the unknown authority first.
    const credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true })
    get = (s) => credential.getToken(s)
  }
  let failed = 0
  let firstError: string | undefined
  const t0 = performance.now()
  let firstCallMs = Number.NaN
  for (let i = 0; i < WI_CALLS; i++) {
    try {
      await get(scope)
    } catch (error) {
      failed++
      firstError ??= String((error as Error)?.message ?? error).slice(0, 200)
    }
    if (i === 0) firstCallMs = performance.now() - t0
  }
  const wallMs = performance.now() - t0
  reply = { ok: failed === 0, wallMs, firstCallMs, failed, ...(firstError === undefined ? {} : { error: firstError }) }
} catch (error) {
  reply = { ok: false, wallMs: Number.NaN, firstCallMs: Number.NaN, failed: WI_CALLS, error: String((error as Error)?.message ?? error).slice(0, 200) }
}
process.send?.(reply, () => process.exit(0))
