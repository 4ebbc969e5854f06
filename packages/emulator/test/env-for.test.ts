import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ENV_AZURE_AUTHORITY_HOST,
  ENV_AZURE_CLIENT_ID,
  ENV_AZURE_FEDERATED_TOKEN_FILE,
  ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST,
  ENV_AZURE_TENANT_ID,
  ENV_IDENTITY_ENDPOINT,
  ENV_IDENTITY_HEADER,
  ENV_MSI_ENDPOINT,
  ENV_MSI_SECRET,
  ENV_NODE_EXTRA_CA_CERTS,
  EMULATOR_SOURCES,
  startEmulator,
} from '../src/index.js'
import type { Emulator, EmulatorSource } from '../src/index.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ appServiceHeader: 'app-service-header', legacySecret: 'legacy-secret' })
})
afterAll(() => emulator.close())

describe('emulator.envFor()', () => {
  it('gives IMDS its authority-host override', () => {
    expect(emulator.envFor('imds')).toEqual({ [ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST]: emulator.url })
    expect(ENV_AZURE_POD_IDENTITY_AUTHORITY_HOST).toBe('AZURE_POD_IDENTITY_AUTHORITY_HOST')
  })

  it('gives App Service 2019-08-01 its endpoint and header', () => {
    expect(emulator.envFor('app-service')).toEqual({
      [ENV_IDENTITY_ENDPOINT]: `${emulator.url}/msi/token`,
      [ENV_IDENTITY_HEADER]: 'app-service-header',
    })
    expect([ENV_IDENTITY_ENDPOINT, ENV_IDENTITY_HEADER]).toEqual(['IDENTITY_ENDPOINT', 'IDENTITY_HEADER'])
  })

  it('gives App Service 2017-09-01 its endpoint and secret', () => {
    expect(emulator.envFor('app-service-2017')).toEqual({
      [ENV_MSI_ENDPOINT]: `${emulator.url}/msi/legacy/token`,
      [ENV_MSI_SECRET]: 'legacy-secret',
    })
    expect([ENV_MSI_ENDPOINT, ENV_MSI_SECRET]).toEqual(['MSI_ENDPOINT', 'MSI_SECRET'])
  })

  it('gives Workload Identity its five variables, the CA file among them', () => {
    expect(emulator.envFor('workload-identity')).toEqual({
      [ENV_AZURE_CLIENT_ID]: emulator.entra.clientId,
      [ENV_AZURE_TENANT_ID]: emulator.tenantId,
      [ENV_AZURE_FEDERATED_TOKEN_FILE]: emulator.entra.tokenFile,
      [ENV_AZURE_AUTHORITY_HOST]: emulator.entra.authorityHost,
      [ENV_NODE_EXTRA_CA_CERTS]: emulator.entra.caFile,
    })
    expect([ENV_AZURE_CLIENT_ID, ENV_AZURE_TENANT_ID, ENV_AZURE_FEDERATED_TOKEN_FILE, ENV_AZURE_AUTHORITY_HOST, ENV_NODE_EXTRA_CA_CERTS]).toEqual([
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_AUTHORITY_HOST',
      'NODE_EXTRA_CA_CERTS',
    ])
  })

  it('returns a fresh copy each time and leaves emulator.env (IMDS) alone', () => {
    const env = emulator.envFor('app-service')
    env[ENV_IDENTITY_HEADER] = 'changed'
    expect(emulator.envFor('app-service')[ENV_IDENTITY_HEADER]).toBe('app-service-header')
    expect(emulator.env).toEqual(emulator.envFor('imds'))
  })

  it('covers every source', () => {
    expect(EMULATOR_SOURCES).toEqual(['imds', 'app-service', 'app-service-2017', 'workload-identity'])
    for (const source of EMULATOR_SOURCES) expect(Object.keys(emulator.envFor(source)).length).toBeGreaterThan(0)
  })

  it('throws ERR_EMULATOR_CONFIG for an unknown source', () => {
    expect(() => emulator.envFor('cloud-shell' as EmulatorSource)).toThrow(expect.objectContaining({ code: 'ERR_EMULATOR_CONFIG' }))
  })
})
