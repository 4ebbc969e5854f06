/**
 * `@keyless/fastify`: a Fastify 5 plugin that puts a keyless token provider on the instance and
 * `getToken()` on every request, warms tokens before the app serves, and reports readiness.
 *
 * @module
 */
export { fastifyKeyless, fastifyKeyless as default, PLUGIN_NAME } from './fastify-keyless.js'
export {
  DEFAULT_ERROR_STATUS,
  DEFAULT_READINESS_URL,
  type FastifyKeylessCommonOptions,
  type FastifyKeylessOptions,
  type OwnedTokenProvider,
  type ReadinessOptions,
} from './fastify-keyless-options.js'
export type { KeylessErrorBody } from './keyless-error-handler.js'
