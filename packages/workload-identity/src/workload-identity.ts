/**
 * `workloadIdentity()`: tokens for an AKS pod with Workload Identity, exchanged at Entra ID.
 *
 * @module
 */
import { resolve } from 'node:path'
import {
  assertSafeIdentifier,
  configError,
  createHttpClient,
  createTokenProvider,
  resolveProviderOptions,
  unavailableProvider,
  type KeylessTokenProvider,
  type TokenProviderOptions,
} from '@keyless/core'
import type { Dispatcher } from 'undici'
import { ENTRA_RETRY_POLICY } from './entra-retry-policy.js'
import { createTokenFile } from './token-file.js'
import { workloadIdentitySource } from './workload-identity-source.js'

/** The application (client) id; the AKS webhook injects it from the service account annotation. */
export const AZURE_CLIENT_ID = 'AZURE_CLIENT_ID'
/** The tenant id; injected by the AKS webhook. */
export const AZURE_TENANT_ID = 'AZURE_TENANT_ID'
/** Path of the projected service-account token; injected by the AKS webhook. */
export const AZURE_FEDERATED_TOKEN_FILE = 'AZURE_FEDERATED_TOKEN_FILE'
/** The Entra ID authority; injected by the AKS webhook (`https://login.microsoftonline.com/`). */
export const AZURE_AUTHORITY_HOST = 'AZURE_AUTHORITY_HOST'
/** The public-cloud authority, used when neither `authorityHost` nor `AZURE_AUTHORITY_HOST` is set. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com/'
/** How long a read token file is trusted without a `stat` check: 5 min, the Kubernetes advice (protocols.md §8.1). */
export const DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS = 300_000

const SOURCE = 'workload-identity'
/** A tenant GUID or a domain (`contoso.onmicrosoft.com`), and nothing that could add a path segment. */
const TENANT = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/

/** Options of {@link workloadIdentity}. Every one left out comes from its environment variable. */
export interface WorkloadIdentityOptions extends TokenProviderOptions {
  /** The application (client) id. Default: `AZURE_CLIENT_ID`. */
  clientId?: string | undefined
  /** The tenant: a GUID or a domain such as `contoso.onmicrosoft.com`. Default: `AZURE_TENANT_ID`. */
  tenantId?: string | undefined
  /** The projected service-account token file; a relative path is resolved now. Default: `AZURE_FEDERATED_TOKEN_FILE`. */
  tokenFilePath?: string | undefined
  /**
   * The Entra ID authority, `https:` only, with or without a trailing slash. Default:
   * `AZURE_AUTHORITY_HOST`, else {@link DEFAULT_AUTHORITY_HOST}.
   */
  authorityHost?: string | undefined
  /**
   * Extra certificate authorities (PEM) to trust for the authority, on top of Node's defaults: a
   * private authority or an emulator. Default: Node's defaults, `NODE_EXTRA_CA_CERTS` included.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  /** An undici dispatcher for every request (tests, custom agents). Default: keyless's own Agent. */
  dispatcher?: Dispatcher | undefined
  /**
   * How long a read token file is trusted before a `stat` checks it again, in ms, besides the
   * directory watch that catches rotations at once. 0 checks before every request. Default
   * {@link DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS}.
   */
  tokenFileCheckIntervalMs?: number | undefined
}

/** A value and where it came from (an option or variable name), so errors name what to fix. */
interface Given {
  readonly value: string
  readonly from: string
}

/**
 * Makes a provider that gets tokens for an AKS pod with Workload Identity: the projected
 * service-account token is exchanged at Entra ID for an access token, which is cached, refreshed
 * in the background (Entra's `refresh_in` honoured) and retried on 408, 429, 5xx and network errors.
 *
 * Returns a provider whose `getToken` rejects with `unavailable` (no throw, no I/O) when the
 * client id, the tenant id or the token file path is neither an option nor in the environment, so
 * a chain moves on. Throws a `config` error at once for a malformed option, or a malformed
 * variable when the source is configured: an authority that is not an `https:` URL, a tenant that
 * is not a GUID or a domain, a client id with whitespace, an invalid `ca`. The token file is read
 * only when a request needs it, so it may appear after the provider is made.
 *
 * @example
 * ```ts
 * import { workloadIdentity } from '@keyless/workload-identity'
 *
 * const provider = workloadIdentity() // AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE
 * const { token } = await provider.getToken('https://vault.azure.net/.default')
 * ```
 */
export function workloadIdentity(options: WorkloadIdentityOptions = {}): KeylessTokenProvider {
  // Explicit options are the caller's intent: checked even where the source turns out absent. The
  // HTTP client checks `ca` and `dispatcher`; it opens nothing before its first request.
  const checkIntervalMs = intervalOf(options.tokenFileCheckIntervalMs)
  const http = createHttpClient({
    source: SOURCE,
    retryableStatuses: ENTRA_RETRY_POLICY.retryableStatuses,
    dispatcher: options.dispatcher,
    ca: options.ca,
  })
  const fromOption = (name: 'clientId' | 'tenantId' | 'tokenFilePath' | 'authorityHost'): Given | undefined => {
    const value: unknown = options[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw configError(`${SOURCE}: option \`${name}\` must be a string`, SOURCE)
    return { value, from: name }
  }
  const given = {
    clientId: fromOption('clientId'),
    tenantId: fromOption('tenantId'),
    tokenFilePath: fromOption('tokenFilePath'),
    authorityHost: fromOption('authorityHost'),
  }
  if (given.clientId !== undefined) clientIdOf(given.clientId)
  if (given.tenantId !== undefined) tenantIdOf(given.tenantId)
  if (given.tokenFilePath !== undefined) tokenFilePathOf(given.tokenFilePath)
  if (given.authorityHost !== undefined) authorityOf(given.authorityHost)

  const clientId = given.clientId ?? fromEnv(AZURE_CLIENT_ID)
  const tenantId = given.tenantId ?? fromEnv(AZURE_TENANT_ID)
  const tokenFilePath = given.tokenFilePath ?? fromEnv(AZURE_FEDERATED_TOKEN_FILE)
  if (clientId === undefined || tenantId === undefined || tokenFilePath === undefined) {
    // Variables are only checked once the source is configured: a stray AZURE_AUTHORITY_HOST on a
    // VM must not break a chain that would move on to IMDS.
    const missing = [
      clientId === undefined ? `${AZURE_CLIENT_ID} (or clientId)` : undefined,
      tenantId === undefined ? `${AZURE_TENANT_ID} (or tenantId)` : undefined,
      tokenFilePath === undefined ? `${AZURE_FEDERATED_TOKEN_FILE} (or tokenFilePath)` : undefined,
    ].filter((name) => name !== undefined)
    resolveProviderOptions(options, ENTRA_RETRY_POLICY, SOURCE) // bad engine options fail here too
    return unavailableProvider(SOURCE, `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`)
  }
  const authority = authorityOf(given.authorityHost ?? fromEnv(AZURE_AUTHORITY_HOST) ?? { value: DEFAULT_AUTHORITY_HOST, from: 'authorityHost' })
  const source = workloadIdentitySource({
    authority,
    tenantId: tenantIdOf(tenantId),
    clientId: clientIdOf(clientId),
    tokenFile: createTokenFile({ path: tokenFilePathOf(tokenFilePath), checkIntervalMs, source: SOURCE }),
    http,
  })
  return createTokenProvider(source, options)
}

/** An environment variable, treating an empty one as absent. */
function fromEnv(name: string): Given | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : { value, from: name }
}

function clientIdOf(given: Given): string {
  return assertSafeIdentifier(given.value, given.from, SOURCE)
}

function tenantIdOf(given: Given): string {
  const value = assertSafeIdentifier(given.value, given.from, SOURCE)
  if (!TENANT.test(value)) {
    throw configError(`${SOURCE}: \`${given.from}\` must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com`, SOURCE)
  }
  return value
}

function tokenFilePathOf(given: Given): string {
  if (given.value === '' || given.value.includes('\0')) throw configError(`${SOURCE}: \`${given.from}\` must be a non-empty file path`, SOURCE)
  return resolve(given.value)
}

/** The authority as a URL whose path ends in exactly one `/` (AKS injects it with one, users often without). */
function authorityOf(given: Given): URL {
  const fail = (rule: string): never => {
    throw configError(`${SOURCE}: \`${given.from}\` must be ${rule}, such as ${DEFAULT_AUTHORITY_HOST}`, SOURCE)
  }
  let url: URL
  try {
    url = new URL(given.value)
  } catch {
    return fail('an https URL')
  }
  // No exception for loopback: MSAL and @azure/identity refuse http authorities too (protocols.md §9.2).
  if (url.protocol !== 'https:') return fail('an https URL (http is refused: the request carries a credential)')
  if (url.username !== '' || url.password !== '') return fail('a URL without credentials')
  if (url.search !== '' || url.hash !== '') return fail('a URL without a query or fragment')
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/`
  return url
}

function intervalOf(value: unknown): number {
  if (value === undefined) return DEFAULT_TOKEN_FILE_CHECK_INTERVAL_MS
  if (typeof value !== 'number' || !(value >= 0)) {
    throw configError(`${SOURCE}: option tokenFileCheckIntervalMs must be a number of milliseconds ≥ 0`, SOURCE)
  }
  return value
}
