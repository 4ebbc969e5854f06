/**
 * Which managed-identity source this environment offers, from environment variables alone.
 *
 * @module
 */

/** The sources `auto()` can choose, in the order it checks them. */
export type DetectedSource = 'workload-identity' | 'app-service' | 'app-service-2017' | 'imds'

/** The variables each source is detected by (protocols.md §1.1 and §8.1). */
export const SOURCE_VARIABLES: Readonly<Record<DetectedSource, readonly string[]>> = Object.freeze({
  'workload-identity': ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID'],
  'app-service': ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER'],
  'app-service-2017': ['MSI_ENDPOINT', 'MSI_SECRET'],
  imds: [],
})

/** What {@link detectSource} found: the source, and the variables that decided it. */
export interface Detection {
  readonly source: DetectedSource
  readonly because: readonly string[]
}

const ORDER: readonly DetectedSource[] = ['workload-identity', 'app-service', 'app-service-2017']

/**
 * Picks the source without any network I/O: Workload Identity when its three variables are set,
 * else App Service 2019 (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), else legacy App Service
 * (`MSI_ENDPOINT` + `MSI_SECRET`), else IMDS. A variable set to an empty string counts as set (as
 * in MSAL, protocols.md §1.1), for every source alike, so a malformed environment fails with a
 * `config` error instead of silently falling through to another source (on AKS, IMDS would give
 * the node's identity, not the pod's): `appService()` refuses an empty `IDENTITY_HEADER` or
 * endpoint, and `auto()` refuses an empty Workload Identity variable. `clientId` stands in for
 * `AZURE_CLIENT_ID`.
 *
 * @example
 * ```ts
 * detectSource(process.env) // { source: 'app-service', because: ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER'] }
 * ```
 */
export function detectSource(env: Readonly<Record<string, string | undefined>>, clientId?: string): Detection {
  const isSet = (name: string): boolean => env[name] !== undefined || (name === 'AZURE_CLIENT_ID' && clientId !== undefined)
  for (const source of ORDER) {
    const names = SOURCE_VARIABLES[source]
    if (names.every(isSet)) return { source, because: names }
  }
  return { source: 'imds', because: [] }
}
