/**
 * `@keyless/core`: the contract, the token engine, errors, events and the Azure SDK adapter that
 * every keyless source builds on.
 *
 * @module
 */
export { createAccessToken, REDACTED } from './access-token.js'
export { cachedTokenOf } from './cached-token-of.js'
export {
  toTokenCredential,
  type AbortSignalLike,
  type CredentialAccessToken,
  type CredentialGetTokenOptions,
  type KeylessTokenCredential,
} from './credential/to-token-credential.js'
export { createTokenProvider, type KeylessTokenProvider } from './engine/create-token-provider.js'
export {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_COOL_DOWN_MS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_EXPIRY_MARGIN_MS,
  DEFAULT_FORCE_REFRESH_INTERVAL_MS,
  DEFAULT_MAX_COOL_DOWN_MS,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_REFRESH_JITTER_RATIO,
  resolveProviderOptions,
  type ResolvedProviderOptions,
  type TokenProviderOptions,
} from './engine/provider-options.js'
export type { ProviderStats, ScopeState, ScopeStats } from './engine/provider-stats.js'
export { abortedError, configError, ERRORS_DOC_URL, isKeylessError, KeylessError, type KeylessErrorCode, type KeylessErrorOptions } from './errors/keyless-error.js'
export {
  DIAGNOSTICS_CHANNEL_PREFIX,
  PROVIDER_EVENT_NAMES,
  type FetchReason,
  type ProviderEventListener,
  type ProviderEventName,
  type ProviderEvents,
} from './events/provider-events.js'
export type { RetryPolicy, SourceRequest, SourceToken, TokenSource } from './source/token-source.js'
export type { AccessToken, GetTokenOptions, TokenProvider } from './token-provider.js'
export { unavailableProvider } from './unavailable-provider.js'

// For source packages (@keyless/imds, @keyless/app-service, ...): the HTTP seam, parsing, checks.
export {
  createHttpClient,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  type HttpAnswer,
  type HttpClient,
  type HttpClientOptions,
  type HttpJsonResponse,
  type HttpRequest,
} from './http/http-client.js'
export { linkSignals, untilAborted, type LinkedSignal } from './engine/abortable.js'
export { MAX_TIMER_DELAY_MS } from './engine/unref-timer.js'
export { IMDS_HOST, isDirectHost, isLinkLocalIPv4, isLoopbackHost } from './http/is-direct-host.js'
export { parseTokenResponse } from './parse/parse-token-response.js'
export { parseExpiresOn } from './parse/parse-expiry.js'
export { assertSafeIdentifier, scopeToResource, validateScope } from './scope/scope.js'

// Outbound authentication: bearer tokens on the requests this service makes, to configured origins only.
export { authorizedFetch, type AuthorizedFetchOptions } from './outbound/authorized-fetch.js'
export { bearerAuth } from './outbound/bearer-auth.js'
export type { OutboundAuthOptions } from './outbound/outbound-auth-options.js'

// For readiness endpoints (the Express and Fastify plugins use it).
export { readinessReport, type InspectableProvider, type ReadinessReport, type ScopeReadiness } from './readiness/readiness-report.js'
