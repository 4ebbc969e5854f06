/**
 * `auto()`: the provider for wherever this process runs, chosen from the environment.
 *
 * @module
 */
import { appService } from '@keyless/app-service'
import { abortedError, configError, KeylessError, untilAborted, type KeylessTokenProvider } from '@keyless/core'
import { DEFAULT_PROBE_TIMEOUT_MS, imds, probeImds } from '@keyless/imds'
import { AZURE_CLIENT_ID, workloadIdentity } from '@keyless/workload-identity'
import type { Dispatcher } from 'undici'
import { checkAutoOptions, type AutoOptions } from './auto-options.js'
import { detectSource, type DetectedSource } from './detect-source.js'

export type { AutoOptions } from './auto-options.js'

/** A provider chosen by `auto()`; `describe()` also says why it was chosen. */
export interface AutoProvider extends KeylessTokenProvider {
  /** The chosen source, `provider.name` as well. */
  readonly source: DetectedSource
}

/**
 * Chooses the source from the environment, with no network I/O: Workload Identity when
 * `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` are set; else App Service
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`); else legacy App Service (`MSI_ENDPOINT` + `MSI_SECRET`);
 * else IMDS, optionally probed once. Returns that source's provider, ready: cached, refreshed,
 * retried.
 *
 * Throws a `config` error at once: for an unknown or malformed option (source `auto`, see
 * {@link AutoOptions}; engine options are checked by the chosen source's factory), and for a
 * present but malformed variable of the chosen source, an empty one included (an empty variable
 * counts as set, so a broken environment never falls through to another source's identity).
 *
 * @example
 * ```ts
 * import { auto, toTokenCredential } from 'keyless'
 *
 * const provider = auto()
 * console.log(provider.describe()) // "app-service (2019-08-01) at 127.0.0.1:41234; chosen by auto() from IDENTITY_ENDPOINT, IDENTITY_HEADER"
 * ```
 */
export function auto(options: AutoOptions = {}): AutoProvider {
  const { clientId: given, probeImds: probe = false, probeTimeoutMs, ca, ...shared } = checkAutoOptions(options)
  const clientId = given ?? nonEmpty(process.env[AZURE_CLIENT_ID])
  const { source, because } = detectSource(process.env, clientId)
  const common = clientId === undefined ? shared : { ...shared, clientId }
  let provider: KeylessTokenProvider
  switch (source) {
    case 'workload-identity':
      // workloadIdentity() reads an empty variable as absent and would answer `unavailable`.
      refuseEmpty(given === undefined ? because : because.filter((name) => name !== AZURE_CLIENT_ID))
      provider = workloadIdentity(ca === undefined ? common : { ...common, ca })
      break
    case 'app-service':
    case 'app-service-2017':
      provider = appService(common)
      break
    case 'imds':
      provider = imds(common)
      if (probe) provider = probedFirst(provider, shared.dispatcher, probeTimeoutMs)
      break
  }
  const why = because.length > 0 ? `chosen by auto() from ${because.join(', ')}` : 'chosen by auto() as the fallback: no other source is configured'
  const describe = provider.describe
  return Object.freeze({ ...provider, source, describe: () => `${describe()}; ${why}` })
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** Throws the `config` error of Workload Identity variables that decided the choice but are empty. */
function refuseEmpty(names: readonly string[]): void {
  const empty = names.filter((name) => process.env[name] === '')
  if (empty.length === 0) return
  throw configError(
    `workload-identity: ${empty.join(', ')} ${empty.length === 1 ? 'is' : 'are'} set but empty, beside the other Workload Identity variables; ` +
      'set them to the values the AKS webhook injects, or unset all three to let auto() choose another source',
    'workload-identity',
  )
}

/** IMDS behind a one-time probe: the probe's answer is remembered for the provider's life. */
function probedFirst(provider: KeylessTokenProvider, dispatcher: Dispatcher | undefined, timeoutMs: number | undefined): KeylessTokenProvider {
  let available: boolean | undefined
  let probing: Promise<boolean> | undefined
  const absent = (): KeylessError =>
    new KeylessError('unavailable', `imds: IMDS did not answer the probe within ${timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS} ms, or answered that it is unreachable (Docker Desktop); not on an Azure VM?`, {
      source: 'imds',
    })
  return {
    ...provider,
    getToken(scope, options) {
      if (available === true) return provider.getToken(scope, options)
      probing ??= probeImds({ dispatcher, timeoutMs }).then((ok) => (available = ok))
      // Rule 9: a caller's signal releases that caller from the probe too; the probe goes on for the others.
      const signal = options?.signal
      const probed = signal === undefined ? probing : untilAborted(probing, signal, (reason) => abortedError(reason, 'imds', 'imds: the caller aborted its wait for a token'))
      return probed.then((ok) => (ok ? provider.getToken(scope, options) : Promise.reject(absent())))
    },
  }
}
