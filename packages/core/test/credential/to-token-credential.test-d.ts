// Type test, checked by `tsc -p test` (the typecheck task): it "runs" by compiling. It proves the
// structural adapter is assignable to the real @azure/core-auth TokenCredential without importing it.
import type { AccessToken as AzureAccessToken, TokenCredential } from '@azure/core-auth'
import { toTokenCredential } from '../../src/credential/to-token-credential.js'
import type { TokenProvider } from '../../src/token-provider.js'

declare const provider: TokenProvider
const credential: TokenCredential = toTokenCredential(provider)
const token: Promise<AzureAccessToken | null> = credential.getToken('https://vault.azure.net/.default', {
  abortSignal: new AbortController().signal,
  claims: '{"access_token":{}}',
})
void token
