/**
 * The Workload Identity scenario (`wi`): 100 awaited `getToken` calls through keyless
 * `workloadIdentity()`, `@azure/identity`'s `ManagedIdentityCredential` on AKS variables, and its
 * `WorkloadIdentityCredential`, against the emulator's HTTPS Entra server. The emulator starts
 * first; the calls run in a child process started with the emulator's Workload Identity
 * environment, because Node reads `NODE_EXTRA_CA_CERTS` (the emulator's CA) at start only.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EmulatorProcess } from './emulator-client.js'
import type { WiReply, WiSubject } from './wi-child.js'

/** Calls per run. */
export const WI_CALLS = 100

const CHILD = fileURLToPath(new URL('./wi-child.js', import.meta.url))

export interface WiResult {
  kind: 'wi'
  calls: number
  wallMs: number
  firstCallMs: number
  /** Requests the emulator's Entra server saw: token POSTs, and OpenID configuration GETs. */
  tokenRequests: number
  metadataRequests: number
  failed: number
  firstError: string | undefined
}

export async function workloadIdentityScenario(task: { subject: WiSubject }, emulator: EmulatorProcess): Promise<WiResult> {
  const before = await emulator.endpoints()
  const env = { ...process.env, ...emulator.wiEnv }
  const child = fork(CHILD, [JSON.stringify({ subject: task.subject })], { execArgv: [], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const reply = await new Promise<WiReply>((resolve, reject) => {
    child.once('message', (message: WiReply) => resolve(message))
    child.once('exit', (code) => reject(new Error(`workload identity child exited (code ${code}) without a reply`)))
  })
  const after = await emulator.endpoints()
  const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0)
  return {
    kind: 'wi',
    calls: WI_CALLS,
    wallMs: reply.wallMs,
    firstCallMs: reply.firstCallMs,
    tokenRequests: delta('entra'),
    metadataRequests: delta('openid-configuration'),
    failed: reply.failed,
    firstError: reply.error,
  }
}
