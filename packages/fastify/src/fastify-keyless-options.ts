/**
 * The options of the `@keyless/fastify` plugin, their defaults, and the check that turns them into
 * a settled configuration at registration (a `config` error otherwise).
 *
 * @module
 */
import { isKeylessError, KeylessError, validateScope, type TokenProvider } from '@keyless/core'

/**
 * Where the readiness route listens when `readiness` is `true` or gives no `url`.
 *
 * @example
 * ```ts
 * const res = await app.inject(DEFAULT_READINESS_URL) // GET /health/tokens
 * ```
 */
export const DEFAULT_READINESS_URL = '/health/tokens'

/**
 * The status a `KeylessError` thrown from a handler is answered with, unless `errorStatus` says otherwise.
 *
 * @example
 * ```ts
 * if (res.statusCode === DEFAULT_ERROR_STATUS) retryLater()
 * ```
 */
export const DEFAULT_ERROR_STATUS = 503

/**
 * The `source` named by the plugin's own errors.
 *
 * @example
 * ```ts
 * if (isKeylessError(error) && error.source === PLUGIN_SOURCE) fixTheOptions()
 * ```
 */
export const PLUGIN_SOURCE = 'fastify'

/**
 * Options of the readiness route.
 *
 * @example
 * ```ts
 * await app.register(fastifyKeyless, { provider, scopes, readiness: { url: '/ready' } satisfies ReadinessOptions })
 * ```
 */
export interface ReadinessOptions {
  /** The route's path. Default {@link DEFAULT_READINESS_URL}. */
  url?: string | undefined
}

/**
 * The options shared by both ways of giving the plugin its provider.
 *
 * @example
 * ```ts
 * const common: FastifyKeylessCommonOptions = { scopes: ['https://vault.azure.net/.default'], failFast: false }
 * await app.register(fastifyKeyless, { ...common, provider })
 * ```
 */
export interface FastifyKeylessCommonOptions {
  /**
   * Scopes the service uses. The first is the default of `request.getToken()`; all are warmed in
   * `onReady` (unless `warmUp: false`) and reported by the readiness route.
   */
  scopes?: readonly string[] | undefined
  /** Fetch every scope in `onReady`, in parallel. Default `true` when `scopes` is non-empty. */
  warmUp?: boolean | undefined
  /**
   * When warming fails: `true` (default) makes `app.ready()` / `app.listen()` reject with the
   * coded error of the first scope to fail, as soon as it fails; `false` logs a warning per
   * failed scope and starts anyway.
   */
  failFast?: boolean | undefined
  /** A readiness route (`GET`, 200 or 503, never a token). Default `false`: no route. */
  readiness?: boolean | ReadinessOptions | undefined
  /**
   * The status a `KeylessError` thrown from a handler is answered with, as
   * `{ error: code, message }`. Default {@link DEFAULT_ERROR_STATUS}; `false` installs no error
   * handler. Other errors go on to the error handler that was there before.
   */
  errorStatus?: number | false | undefined
}

/**
 * A provider the plugin makes and therefore closes: any {@link TokenProvider} with `close()`.
 *
 * @example
 * ```ts
 * const source = (): OwnedTokenProvider => imds({ deadlineMs: 15_000 })
 * ```
 */
export type OwnedTokenProvider = TokenProvider & { close(): Promise<void> }

/**
 * Options of the plugin: exactly one of `provider` (yours: the plugin never closes it) or
 * `source` (a factory the plugin calls once; it owns the result and closes it in `onClose`).
 *
 * @example
 * ```ts
 * const options: FastifyKeylessOptions = { source: () => imds(), scopes: ['https://vault.azure.net/.default'] }
 * await app.register(fastifyKeyless, options)
 * ```
 */
export type FastifyKeylessOptions =
  | (FastifyKeylessCommonOptions & {
      /** A provider you made and close yourself; the plugin never closes it. */
      provider: TokenProvider
      source?: never
    })
  | (FastifyKeylessCommonOptions & {
      /** Makes the provider. Called once at registration; the plugin closes the result in `onClose`. */
      source: () => OwnedTokenProvider
      provider?: never
    })

/**
 * The plugin's options once checked, defaults applied.
 *
 * @example
 * ```ts
 * const { scopes, failFast }: ResolvedFastifyKeylessOptions = resolveFastifyKeylessOptions(options)
 * ```
 */
export interface ResolvedFastifyKeylessOptions {
  readonly provider: TokenProvider | undefined
  readonly source: (() => OwnedTokenProvider) | undefined
  readonly scopes: readonly string[]
  readonly warmUp: boolean
  readonly failFast: boolean
  /** `undefined`: no readiness route. */
  readonly readinessUrl: string | undefined
  /** `undefined`: no error handler. */
  readonly errorStatus: number | undefined
}

const KNOWN_KEYS = new Set(['provider', 'source', 'scopes', 'warmUp', 'failFast', 'readiness', 'errorStatus'])
// Fastify hands the plugin what was given to `register`, its own options included.
const REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers'])

/**
 * Checks the plugin's options and applies the defaults; never writes into `options`.
 *
 * Throws a `config` KeylessError for: anything but an object; an unknown key; neither or both of
 * `provider` and `source`; a provider without `getToken`; a `scopes` entry that is not one usable
 * scope, or repeats another; `warmUp: true` or a readiness route with no scopes; a readiness `url`
 * not starting with `/`; an `errorStatus` that is not an integer from 400 to 599.
 *
 * @example
 * ```ts
 * const config = resolveFastifyKeylessOptions({ provider, scopes: ['https://vault.azure.net/.default'] })
 * config.warmUp // true
 * ```
 */
export function resolveFastifyKeylessOptions(options: unknown): ResolvedFastifyKeylessOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw fail('the options must be an object')
  }
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key) && !REGISTER_KEYS.has(key)) throw fail(`unknown option \`${key}\``)
  }

  const provider = o['provider']
  const source = o['source']
  if (provider === undefined && source === undefined) throw fail('pass `provider` (yours) or `source` (a factory the plugin owns)')
  if (provider !== undefined && source !== undefined) throw fail('pass `provider` or `source`, not both')
  if (provider !== undefined && !isTokenProvider(provider)) throw fail('`provider` must have a getToken(scope) method')
  if (source !== undefined && typeof source !== 'function') throw fail('`source` must be a function that returns a provider')

  const scopes = resolveScopes(o['scopes'])
  const warmUp = optionalBoolean(o, 'warmUp') ?? scopes.length > 0
  if (warmUp && scopes.length === 0) throw fail('`warmUp: true` needs `scopes` to warm')
  const failFast = optionalBoolean(o, 'failFast') ?? true
  const readinessUrl = resolveReadiness(o['readiness'])
  if (readinessUrl !== undefined && scopes.length === 0) throw fail('the readiness route needs `scopes` to report on')

  return {
    provider: provider as TokenProvider | undefined,
    source: source as (() => OwnedTokenProvider) | undefined,
    scopes,
    warmUp,
    failFast,
    readinessUrl,
    errorStatus: resolveErrorStatus(o['errorStatus']),
  }
}

/**
 * Tells whether `value` has the shape of a {@link TokenProvider} (a `getToken` method).
 *
 * @example
 * ```ts
 * if (!isTokenProvider(made)) throw new TypeError('not a provider')
 * ```
 */
export function isTokenProvider(value: unknown): value is TokenProvider {
  return typeof value === 'object' && value !== null && typeof (value as { getToken?: unknown }).getToken === 'function'
}

function resolveScopes(value: unknown): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw fail('`scopes` must be an array of scopes')
  const scopes: string[] = []
  for (const [i, scope] of (value as unknown[]).entries()) {
    try {
      validateScope(scope, PLUGIN_SOURCE)
    } catch (error) {
      // The scope itself stays out of the message (it may hold control characters).
      const problem = isKeylessError(error) ? 'is not one usable scope (see the cause)' : 'is invalid'
      throw new KeylessError('config', `${PLUGIN_SOURCE}: \`scopes[${i}]\` ${problem}`, { source: PLUGIN_SOURCE, cause: error })
    }
    const first = scopes.indexOf(scope as string)
    if (first !== -1) throw fail(`\`scopes[${i}]\` repeats \`scopes[${first}]\``)
    scopes.push(scope as string)
  }
  return scopes
}

function resolveReadiness(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return DEFAULT_READINESS_URL
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('`readiness` must be a boolean or `{ url }`')
  }
  const r = value as Record<string, unknown>
  for (const key of Object.keys(r)) if (key !== 'url') throw fail(`unknown option \`readiness.${key}\``)
  const url = r['url']
  if (url === undefined) return DEFAULT_READINESS_URL
  if (typeof url !== 'string' || !url.startsWith('/') || /\s/.test(url)) {
    throw fail('`readiness.url` must be a path starting with `/`, without whitespace')
  }
  return url
}

function resolveErrorStatus(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_ERROR_STATUS
  if (value === false) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 599) {
    throw fail('`errorStatus` must be an integer from 400 to 599, or false')
  }
  return value
}

function optionalBoolean(o: Record<string, unknown>, key: string): boolean | undefined {
  const value = o[key]
  if (value === undefined || typeof value === 'boolean') return value
  throw fail(`\`${key}\` must be a boolean`)
}

function fail(problem: string): KeylessError {
  return new KeylessError('config', `${PLUGIN_SOURCE}: ${problem}; see the @keyless/fastify README`, { source: PLUGIN_SOURCE })
}
