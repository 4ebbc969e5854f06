/**
 * `auto()`: the provider for wherever this process runs, chosen from the environment.
 *
 * @module
 */
import { appService } from '@keyless/app-service'
import { KeylessError, type KeylessTokenProvider, type TokenProviderOptions } from '@keyless/core'
import { DEFAULT_PROBE_TIMEOUT_MS, imds, probeImds } from '@keyless/imds'
import { AZURE_CLIENT_ID, workloadIdentity, type WorkloadIdentityOptions } from '@keyless/workload-identity'
import type { Dispatcher } from 'undici'
import { detectSource, type DetectedSource } from './detect-source.js'

/** Options of {@link auto}. */
export interface AutoOptions extends TokenProviderOptions {
  /**
   * A user-assigned identity's client id, for whichever source is chosen. Default
   * `AZURE_CLIENT_ID` (Workload Identity requires it; App Service and IMDS send it as their
   * client-id selector when it is set, as `DefaultAzureCredential` does).
   */
  clientId?: string | undefined
  /**
   * When IMDS is the fallback, check once that something answers there before the first token
   * request (1 s, no `Metadata` header), and reject with `unavailable` if nothing does, so a
   * `chain()` can move on quickly off Azure. Default `false`: no probe, IMDS assumed.
   */
  probeImds?: boolean | undefined
  /** Cut-off of that probe, in ms. Default 1000. */
  probeTimeoutMs?: number | undefined
  /** An undici dispatcher for every request of the chosen source. */
  dispatcher?: Dispatcher | undefined
  /** Extra CA certificates (PEM) to trust for the Workload Identity authority; see `workloadIdentity({ ca })`. */
  ca?: WorkloadIdentityOptions['ca'] | undefined
}

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
 * retried. A present but malformed variable throws the source's `config` error at once.
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
  const { clientId: given, probeImds: probe = false, probeTimeoutMs, ca, ...shared } = options
  const clientId = given ?? nonEmpty(process.env[AZURE_CLIENT_ID])
  const { source, because } = detectSource(process.env, clientId)
  const common = clientId === undefined ? shared : { ...shared, clientId }
  let provider: KeylessTokenProvider
  switch (source) {
    case 'workload-identity':
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

/** IMDS behind a one-time probe: the probe's answer is remembered for the provider's life. */
function probedFirst(provider: KeylessTokenProvider, dispatcher: Dispatcher | undefined, timeoutMs: number | undefined): KeylessTokenProvider {
  let available: boolean | undefined
  let probing: Promise<boolean> | undefined
  const absent = (): KeylessError =>
    new KeylessError('unavailable', `imds: nothing answered the IMDS probe within ${timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS} ms; not on an Azure VM?`, {
      source: 'imds',
    })
  return {
    ...provider,
    getToken(scope, options) {
      if (available === true) return provider.getToken(scope, options)
      probing ??= probeImds({ dispatcher, timeoutMs }).then((ok) => (available = ok))
      return probing.then((ok) => (ok ? provider.getToken(scope, options) : Promise.reject(absent())))
    },
  }
}
