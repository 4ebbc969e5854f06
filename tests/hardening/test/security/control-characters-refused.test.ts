/**
 * Security property: CR/LF or any other control character (Unicode Cc: U+0000–U+001F, U+007F,
 * U+0080–U+009F) in a scope, client id, object id, resource id or tenant id is refused before any
 * request: scopes by `getToken` (invalid-scope), identifiers by the factory (config). The
 * emulator's request count stays 0 throughout, for every source, auto() and chain().
 */
import fc from 'fast-check'
import { appService, auto, chain, imds, workloadIdentity, type KeylessTokenProvider } from 'keyless'
import { describe, expect, it } from 'vitest'
import { fuzzParameters } from '@keyless/test-support'
import { autoSubjects, directSubjects, stubSourceEnv, useSourceEmulator } from '../support/emulator-sources.js'

const VAULT = 'https://vault.azure.net/.default'
const CLIENT_ID = '11111111-1111-4111-8111-111111111111'


/** One control character: C0, DEL or C1, CR and LF weighted up. */
const control = fc.oneof(
  fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u0085', '\u009b'),
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
)
/** `valid` with a control character (and maybe an injected header) spliced in at a random place. */
const poisoned = (valid: string): fc.Arbitrary<string> =>
  fc.tuple(fc.nat({ max: valid.length }), control, fc.constantFrom('', 'X-Injected: 1', ' HTTP/1.1')).map(([at, c, tail]) => valid.slice(0, at) + c + tail + valid.slice(at))

const emulator = useSourceEmulator()

describe('security: control characters in scopes and identifiers are refused before any request', () => {
  it('refuses a scope with a control character in every source, auto() and chain() (fast-check)', async () => {
    const providers: KeylessTokenProvider[] = [...directSubjects(emulator()), ...autoSubjects(emulator())].map((subject) => subject.make())
    stubSourceEnv(emulator().envFor('app-service'))
    const chained = chain(workloadIdentity(), appService())
    await fc.assert(
      fc.asyncProperty(poisoned(VAULT), async (scope) => {
        for (const provider of [...providers, chained]) {
          await expect(provider.getToken(scope)).rejects.toMatchObject({ code: 'invalid-scope' })
          expect(provider.peekToken?.(scope)).toBeUndefined()
        }
      }),
      fuzzParameters(300),
    )
    await Promise.all([...providers, chained].map((provider) => provider.close()))
    expect(emulator().counters.tokenRequests).toBe(0)
  })

  it('refuses an identifier with a control character in every source and auto(), by config at creation (fast-check)', () => {
    const base = emulator().url
    const wi = emulator().entra
    const makers: [string, string, (id: string) => unknown][] = [
      ['imds clientId', CLIENT_ID, (id) => imds({ endpoint: base, clientId: id })],
      ['imds objectId', CLIENT_ID, (id) => imds({ endpoint: base, objectId: id })],
      ['imds resourceId', '/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z', (id) => imds({ endpoint: base, resourceId: id })],
      ['app-service clientId', CLIENT_ID, (id) => appService({ endpoint: emulator().appService.endpoint, header: emulator().appService.header, clientId: id })],
      ['app-service objectId', CLIENT_ID, (id) => appService({ endpoint: emulator().appService.endpoint, header: emulator().appService.header, objectId: id })],
      ['app-service resourceId', '/subscriptions/x/rg/y', (id) => appService({ endpoint: emulator().appService.endpoint, header: emulator().appService.header, resourceId: id })],
      ['app-service 2017 clientId', CLIENT_ID, (id) => (stubSourceEnv(emulator().envFor('app-service-2017')), appService({ clientId: id }))],
      ['workload-identity clientId', wi.clientId, (id) => workloadIdentity({ clientId: id, tenantId: wi.tenantId, tokenFilePath: wi.tokenFile, authorityHost: wi.authorityHost, ca: wi.caPem })],
      ['workload-identity tenantId', wi.tenantId, (id) => workloadIdentity({ clientId: wi.clientId, tenantId: id, tokenFilePath: wi.tokenFile, authorityHost: wi.authorityHost, ca: wi.caPem })],
      ['workload-identity AZURE_CLIENT_ID', wi.clientId, (id) => (stubSourceEnv({ ...emulator().envFor('workload-identity'), AZURE_CLIENT_ID: id }), workloadIdentity({ ca: wi.caPem }))],
      ['auto() clientId on IMDS', CLIENT_ID, (id) => (stubSourceEnv(emulator().envFor('imds')), auto({ clientId: id }))],
      ['auto() AZURE_CLIENT_ID on App Service', CLIENT_ID, (id) => (stubSourceEnv({ ...emulator().envFor('app-service'), AZURE_CLIENT_ID: id }), auto())],
    ]
    for (const [name, valid, make] of makers) {
      expect(() => make(valid), `${name} accepts the valid id (control)`).not.toThrow()
      fc.assert(
        // An environment variable cannot hold NUL (the C environment ends the value there).
        fc.property(name.includes('AZURE_') ? poisoned(valid).filter((id) => !id.includes('\u0000')) : poisoned(valid), (id) => {
          let outcome: unknown
          try {
            outcome = make(id)
          } catch (error: unknown) {
            outcome = error
          }
          expect(outcome, name).toMatchObject({ code: 'config' })
        }),
        fuzzParameters(100),
      )
    }
    expect(emulator().counters.tokenRequests).toBe(0)
  })
})
