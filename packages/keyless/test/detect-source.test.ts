import { describe, expect, it } from 'vitest'
import { detectSource, SOURCE_VARIABLES } from '../src/detect-source.js'

const WI = { AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token', AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't' }
const APP = { IDENTITY_ENDPOINT: 'http://127.0.0.1:41234/msi/token', IDENTITY_HEADER: 'h' }
const LEGACY = { MSI_ENDPOINT: 'http://127.0.0.1:41234/msi/legacy', MSI_SECRET: 's' }

describe('detectSource()', () => {
  it.each([
    ['nothing', {}, 'imds'],
    ['Workload Identity', WI, 'workload-identity'],
    ['App Service 2019', APP, 'app-service'],
    ['legacy App Service', LEGACY, 'app-service-2017'],
    ['Workload Identity before App Service', { ...APP, ...WI }, 'workload-identity'],
    ['App Service 2019 before legacy', { ...LEGACY, ...APP }, 'app-service'],
    ['everything', { ...LEGACY, ...APP, ...WI }, 'workload-identity'],
    ['Workload Identity without a tenant', { ...WI, AZURE_TENANT_ID: undefined }, 'imds'],
    ['Workload Identity without a client id', { ...WI, AZURE_CLIENT_ID: undefined }, 'imds'],
    ['IDENTITY_ENDPOINT alone', { IDENTITY_ENDPOINT: APP.IDENTITY_ENDPOINT }, 'imds'],
    ['MSI_ENDPOINT alone (Cloud Shell, not supported)', { MSI_ENDPOINT: LEGACY.MSI_ENDPOINT }, 'imds'],
    ['an empty IDENTITY_HEADER (counts as set: its factory refuses it)', { ...APP, IDENTITY_HEADER: '' }, 'app-service'],
    ['an empty AZURE_FEDERATED_TOKEN_FILE (counts as set: auto() refuses it)', { ...WI, AZURE_FEDERATED_TOKEN_FILE: '' }, 'workload-identity'],
    ['an empty AZURE_CLIENT_ID beside the other two (counts as set: auto() refuses it)', { ...WI, AZURE_CLIENT_ID: '' }, 'workload-identity'],
  ] as const)('chooses %s → %s', (_, env, expected) => {
    const detection = detectSource(env)
    expect(detection.source).toBe(expected)
    expect(detection.because).toEqual(SOURCE_VARIABLES[expected])
  })

  it('lets an explicit client id stand in for AZURE_CLIENT_ID', () => {
    expect(detectSource({ ...WI, AZURE_CLIENT_ID: undefined }, 'explicit').source).toBe('workload-identity')
  })
})
