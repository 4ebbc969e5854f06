/**
 * Every source pointed at a {@link LocalServer} rather than the emulator, with recognisable
 * secrets, for the properties that need an endpoint the test controls byte by byte.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appService, imds, workloadIdentity, type KeylessTokenProvider, type TokenProviderOptions } from 'keyless'
import type { Handler, LocalServer } from './local-server.js'
import { stubSourceEnv } from './emulator-sources.js'

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
export const CLIENT_ID = '11111111-1111-4111-8111-111111111111'

/** The sources a local server can stand in for; `entra` needs an https server. */
export type LocalSource = 'imds' | 'app-service' | 'app-service-2017' | 'workload-identity'
export const LOCAL_SOURCES: readonly LocalSource[] = ['imds', 'app-service', 'app-service-2017', 'workload-identity']

/** The path each source requests under the server's URL. */
export function tokenPath(source: LocalSource): string {
  switch (source) {
    case 'imds':
      return '/metadata/identity/oauth2/token'
    case 'app-service':
    case 'app-service-2017':
      return '/msi/token'
    case 'workload-identity':
      return `/${TENANT_ID}/oauth2/v2.0/token`
  }
}

/** A federated token file holding `assertion`, in a temp directory `remove()` deletes. */
export async function tokenFile(assertion: string): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'keyless-hardening-'))
  const path = join(dir, 'azure-identity-token')
  await writeFile(path, `${assertion}\n`)
  return { path, remove: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Makes `source` against `server` with `secret` as its App Service header, legacy secret or (via
 * `tokenFilePath`) federated assertion. App Service 2017 is configured by environment, so this
 * stubs `MSI_ENDPOINT`/`MSI_SECRET`; read at creation, so two such providers can coexist.
 */
export function localProvider(
  source: LocalSource,
  server: LocalServer,
  secret: { value: string; tokenFilePath?: string },
  options: TokenProviderOptions = {},
): KeylessTokenProvider {
  const url = `${server.url}${tokenPath(source)}`
  switch (source) {
    case 'imds':
      return imds({ endpoint: url, ...options })
    case 'app-service':
      return appService({ endpoint: url, header: secret.value, ...options })
    case 'app-service-2017':
      stubSourceEnv({ MSI_ENDPOINT: url, MSI_SECRET: secret.value })
      return appService(options)
    case 'workload-identity':
      return workloadIdentity({
        clientId: CLIENT_ID,
        tenantId: TENANT_ID,
        tokenFilePath: secret.tokenFilePath ?? '',
        authorityHost: server.url,
        ca: server.caPem,
        ...options,
      })
  }
}

/** A handler answering every request with a valid token in the shape `source` expects. */
export function answerToken(source: LocalSource, token: string): Handler {
  return (request, response) => {
    const resource = new URL(request.url, 'http://x').searchParams.get('resource') ?? 'https://vault.azure.net'
    const expiresOn = Math.floor(Date.now() / 1000) + 3600
    const body =
      source === 'workload-identity'
        ? { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token }
        : { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer' }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
}
