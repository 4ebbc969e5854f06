/**
 * What the HTTPS half of the emulator needs before it can listen: the CA and server
 * certificate (in memory), and a private temp directory holding the CA PEM and the projected
 * service-account token.
 *
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLoopbackCertificates } from '../tls/loopback-certificates.js'
import type { LoopbackCertificates } from '../tls/loopback-certificates.js'
import { createProjectedTokenFile } from './projected-token-file.js'
import type { ProjectedTokenFile } from './projected-token-file.js'

/** The certificates and the files; internal. */
export interface WorkloadIdentityFiles {
  readonly certificates: LoopbackCertificates
  /** `certificates.caPem` written to `<dir>/ca.pem`. */
  readonly caFile: string
  readonly tokenFile: ProjectedTokenFile
  /** Waits for a running rotation, then removes the directory. Idempotent. */
  remove(): Promise<void>
}

/**
 * Makes the directory (`mkdtemp`, mode 0700) under `os.tmpdir()`, then generates the
 * certificates and the first service-account token in parallel. On failure it removes the
 * directory and rethrows.
 */
export async function createWorkloadIdentityFiles(tokenLifetimeS: number, now: () => number): Promise<WorkloadIdentityFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-emulator-'))
  try {
    const [certificates, tokenFile] = await Promise.all([
      createLoopbackCertificates(),
      createProjectedTokenFile(dir, tokenLifetimeS, now),
    ])
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, certificates.caPem, { mode: 0o644 })
    let removing: Promise<void> | undefined
    return {
      certificates,
      caFile,
      tokenFile,
      remove() {
        removing ??= tokenFile.idle().then(() => rm(dir, { recursive: true, force: true }))
        return removing
      },
    }
  } catch (error: unknown) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}
