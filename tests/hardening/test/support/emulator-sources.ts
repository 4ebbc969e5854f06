/**
 * Every keyless source, and auto() for each, pointed at one emulator: the subjects that the
 * security and lifecycle suites run the same property against.
 */
import { startEmulator, type Emulator, type EmulatorOptions, type EmulatorSource, type TokenEndpoint } from '@keyless/emulator'
import { appService, auto, imds, SOURCE_VARIABLES, workloadIdentity, type KeylessTokenProvider, type TokenProviderOptions } from 'keyless'
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest'

/** Every variable a source or auto() reads, cleared before each subject is made. */
export const SOURCE_ENV_NAMES: readonly string[] = [
  ...new Set([...Object.values(SOURCE_VARIABLES).flat(), 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'AZURE_AUTHORITY_HOST', 'IDENTITY_SERVER_THUMBPRINT']),
]

/** Clears every source variable (vitest restores them: `unstubEnvs`). */
export function clearSourceEnv(): void {
  for (const name of SOURCE_ENV_NAMES) vi.stubEnv(name, undefined)
}

/** Clears every source variable, then sets `values` (NODE_EXTRA_CA_CERTS left out: Node reads it at start only). */
export function stubSourceEnv(values: Readonly<Record<string, string>>): void {
  clearSourceEnv()
  for (const [name, value] of Object.entries(values)) if (name !== 'NODE_EXTRA_CA_CERTS') vi.stubEnv(name, value)
}

/**
 * The emulator of one test file: started before its tests, every source variable cleared before
 * each test, its faults, request log and counters reset after each, closed after the file.
 * Returns a getter, since the emulator exists only once `beforeAll` has run.
 *
 * @example
 * ```ts
 * const emulator = useSourceEmulator({ appServiceHeader: HEADER })
 * it('...', () => expect(emulator().counters.tokenRequests).toBe(0))
 * ```
 */
export function useSourceEmulator(options?: EmulatorOptions): () => Emulator {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    emulator = await startEmulator(options)
  })
  beforeEach(() => {
    clearSourceEnv()
  })
  afterEach(() => {
    emulator?.reset()
  })
  afterAll(async () => {
    await emulator?.close()
  })
  return () => {
    if (emulator === undefined) throw new Error('useSourceEmulator(): the emulator starts in beforeAll; use it inside hooks and tests')
    return emulator
  }
}

export interface Subject {
  readonly name: string
  /** What the emulator calls the source (`envFor`). */
  readonly source: EmulatorSource
  /** The emulator endpoint its requests reach. */
  readonly endpoint: TokenEndpoint
  make(options?: TokenProviderOptions): KeylessTokenProvider
}

/** imds(), appService() for both dialects, workloadIdentity(): configured by options where they can be. */
export function directSubjects(emulator: Emulator): Subject[] {
  const wi = emulator.entra
  return [
    { name: 'imds', source: 'imds', endpoint: 'imds', make: (o = {}) => imds({ endpoint: emulator.url, ...o }) },
    {
      name: 'app-service 2019-08-01',
      source: 'app-service',
      endpoint: 'app-service',
      make: (o = {}) => appService({ endpoint: emulator.appService.endpoint, header: emulator.appService.header, ...o }),
    },
    {
      name: 'app-service 2017-09-01',
      source: 'app-service-2017',
      endpoint: 'app-service-2017',
      make: (o = {}) => {
        stubSourceEnv(emulator.envFor('app-service-2017')) // the legacy dialect is configured by environment only
        return appService(o)
      },
    },
    {
      name: 'workload-identity',
      source: 'workload-identity',
      endpoint: 'entra',
      make: (o = {}) =>
        workloadIdentity({ clientId: wi.clientId, tenantId: wi.tenantId, tokenFilePath: wi.tokenFile, authorityHost: wi.authorityHost, ca: wi.caPem, ...o }),
    },
  ]
}

/** auto() with the environment the emulator gives for each source. */
export function autoSubjects(emulator: Emulator): Subject[] {
  return directSubjects(emulator).map((subject) => ({
    ...subject,
    name: `auto() → ${subject.source}`,
    make: (o = {}) => {
      stubSourceEnv(emulator.envFor(subject.source))
      return auto({ ca: emulator.entra.caPem, ...o })
    },
  }))
}
