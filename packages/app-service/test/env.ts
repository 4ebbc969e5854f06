import { vi } from 'vitest'
import { IDENTITY_ENDPOINT, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT, MSI_ENDPOINT, MSI_SECRET } from '../src/index.js'

/** Every variable `appService()` reads, so the host's own environment cannot leak into a test. */
export const APP_SERVICE_VARIABLES = [IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET, IDENTITY_SERVER_THUMBPRINT] as const

/** Unsets every App Service variable, then sets `values` (restored by `unstubEnvs: true`). */
export function stubAppServiceEnv(values: Readonly<Record<string, string>> = {}): void {
  for (const name of APP_SERVICE_VARIABLES) vi.stubEnv(name, undefined)
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value)
}
