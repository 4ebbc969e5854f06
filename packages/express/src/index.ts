/**
 * `@keyless/express`: keyless for Express 5. Handlers get tokens tied to the request's lifetime
 * (a provider bound to the whole app by `bindKeyless()`, or to a router by the `keyless()`
 * middleware), a readiness handler reports per-scope freshness, `warmUp()` fills the cache before
 * traffic, and `tokenErrors()` turns token failures into 503s. The provider is always the caller's.
 *
 * No global types are added; `import '@keyless/express/augment'` opts in to `req.keyless`.
 *
 * @module
 */
export { keyless, type KeylessOptions } from './keyless.js'
export { bindKeyless } from './bind-keyless.js'
export { requestToken, type RequestTokenOptions } from './request-token.js'
export type { RequestKeyless } from './request-keyless.js'
export { readiness, type ReadinessOptions } from './readiness.js'
export { DEFAULT_WARM_UP_DELAY_MS, DEFAULT_WARM_UP_MAX_DELAY_MS, warmUp, type WarmUpOptions } from './warm-up.js'
export { DEFAULT_TOKEN_ERROR_STATUS, tokenErrors, type TokenErrorBody, type TokenErrorsOptions } from './token-errors.js'
