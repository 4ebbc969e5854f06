/**
 * The projected service-account token of AKS Workload Identity: minted by the emulator (acting
 * as the kubelet), written to a file, rotated on demand (protocols.md §8.1).
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT, generateKeyPair } from 'jose'

/** `iss` of the service-account tokens: a fixed, fake AKS OIDC issuer. */
export const SERVICE_ACCOUNT_ISSUER = 'https://oidc.prod-aks.azure.com/0b1d0000-0000-4000-8000-0000000000a5/'

/** `sub` of the service-account tokens. */
export const SERVICE_ACCOUNT_SUBJECT = 'system:serviceaccount:default:workload'

/** `aud` of the service-account tokens, the one Entra's federation expects. */
export const SERVICE_ACCOUNT_AUDIENCE = 'api://AzureADTokenExchange'

/** File name of the token, as the AKS webhook mounts it (`/var/run/secrets/azure/tokens/azure-identity-token`). */
const TOKEN_FILE_NAME = 'azure-identity-token'

/** The token the file holds now. */
export interface ServiceAccountToken {
  readonly token: string
  /** Expiry, epoch seconds. */
  readonly exp: number
}

/** The token file; internal. */
export interface ProjectedTokenFile {
  /** Absolute path of the file. */
  readonly path: string
  /** The token written last: the only `client_assertion` the Entra endpoint accepts. */
  readonly current: ServiceAccountToken
  /** Every token minted so far, the current one included (to keep them all out of logs). */
  readonly issued: ReadonlySet<string>
  /**
   * Mints a new token and replaces the file atomically (write a temp file, then rename). Calls
   * run one after another; `current` changes once the rename is done.
   */
  rotate(): Promise<void>
  /** Resolves once no rotation is running (before the directory is removed). */
  idle(): Promise<void>
}

/** Generates the issuer key, mints the first token and writes it to `dir`. */
export async function createProjectedTokenFile(dir: string, lifetimeS: number, now: () => number): Promise<ProjectedTokenFile> {
  const { privateKey } = await generateKeyPair('RS256')
  const serviceAccountUid = randomUUID()
  const path = join(dir, TOKEN_FILE_NAME)

  const mint = async (): Promise<ServiceAccountToken> => {
    const iat = Math.floor(now() / 1000)
    const exp = iat + lifetimeS
    const token = await new SignJWT({
      'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'workload', uid: serviceAccountUid } },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(SERVICE_ACCOUNT_ISSUER)
      .setSubject(SERVICE_ACCOUNT_SUBJECT)
      .setAudience([SERVICE_ACCOUNT_AUDIENCE])
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(privateKey)
    return { token, exp }
  }

  const write = async (next: ServiceAccountToken): Promise<void> => {
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await writeFile(temp, next.token, { mode: 0o600 })
      await rename(temp, path)
    } catch (error: unknown) {
      await rm(temp, { force: true })
      throw error
    }
  }

  const issued = new Set<string>()
  let current = await mint()
  issued.add(current.token)
  await write(current)
  let queue: Promise<void> = Promise.resolve()
  return {
    path,
    get current() {
      return current
    },
    issued,
    rotate() {
      const run = queue.then(async () => {
        const next = await mint()
        issued.add(next.token)
        await write(next)
        current = next
      })
      queue = run.catch(() => undefined)
      return run
    },
    idle: () => queue,
  }
}
