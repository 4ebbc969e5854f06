/**
 * Type tests, compiled by `tsc -p test` (never run), with `exactOptionalPropertyTypes` on as in
 * every keyless project: each source's options take `undefined` for any optional field, since a
 * field is often read from a variable that may not be set, and keyless treats `undefined` as "not
 * given" at run time.
 */
import { appService, auto, imds, workloadIdentity, type TokenProviderOptions } from 'keyless'

declare const unset: undefined

const engine: TokenProviderOptions = {
  maxEntries: unset,
  expiryMarginMs: unset,
  refreshJitterRatio: unset,
  attemptTimeoutMs: unset,
  deadlineMs: unset,
  retry: unset,
  coolDownMs: unset,
  maxCoolDownMs: unset,
  forceRefreshIntervalMs: unset,
  random: unset,
}

imds({ ...engine, clientId: process.env['APP_CLIENT_ID'], objectId: unset, resourceId: unset, endpoint: unset, dispatcher: unset })
appService({ ...engine, clientId: process.env['APP_CLIENT_ID'], objectId: unset, resourceId: unset, endpoint: unset, header: unset, dispatcher: unset })
auto({ ...engine, clientId: process.env['AZURE_CLIENT_ID'], probeImds: unset, probeTimeoutMs: unset, dispatcher: unset, ca: unset })
workloadIdentity({ ...engine, clientId: unset, tenantId: unset, tokenFilePath: unset, authorityHost: unset, ca: unset, dispatcher: unset })

// A field of the wrong type is still refused.
// @ts-expect-error `clientId` is a string
imds({ clientId: 42 })
