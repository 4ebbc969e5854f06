import type { Emulator } from '@keyless/emulator'
import { appService, type AppServiceOptions } from '../src/index.js'
import type { KeylessTokenProvider } from '@keyless/core'
import { stubAppServiceEnv } from './env.js'

/** The two dialects, by the emulator endpoint that speaks each and what goes on the wire. */
export const DIALECTS = [
  { apiVersion: '2019-08-01', endpoint: 'app-service', clientParam: 'client_id' },
  { apiVersion: '2017-09-01', endpoint: 'app-service-2017', clientParam: 'clientid' },
] as const

export type Dialect = (typeof DIALECTS)[number]

/**
 * Points the environment at the emulator's endpoint of `dialect` (exactly the variables it
 * prints) and makes a provider from that environment alone.
 */
export function providerFor(emulator: Emulator, dialect: Dialect, options: AppServiceOptions = {}): KeylessTokenProvider {
  stubAppServiceEnv(emulator.envFor(dialect.endpoint))
  return appService(options)
}
