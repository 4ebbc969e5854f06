/**
 * The service: an Express 5 app that reads a secret from Key Vault with its managed identity and
 * reports whether it has the tokens it needs. It knows nothing about where its tokens come from:
 * it is handed a provider (`imds()` in server.ts) and the vault's URL.
 *
 * @module
 */
import { authorizedFetch, type KeylessTokenProvider } from '@keyless/core'
import { readiness, tokenErrors } from '@keyless/express'
import express, { type Express } from 'express'

/** The scope of Key Vault tokens: the resource `https://vault.azure.net`, as a v2 scope. */
export const VAULT_SCOPE = 'https://vault.azure.net/.default'

/** The secret `GET /greeting` reads. */
export const GREETING_SECRET = 'greeting'

/** What {@link createApp} needs. */
export interface AppOptions {
  /** Where tokens come from. Yours: the app never closes it (server.ts does, on shutdown). */
  readonly provider: KeylessTokenProvider
  /** The vault, e.g. `https://myvault.vault.azure.net`. Only its origin gets a token. */
  readonly vaultUrl: string
}

/**
 * Builds the app: `GET /greeting` (a secret read from the vault), `GET /ready` (the readiness
 * probe) and `tokenErrors()` (a token failure becomes a 503, not a crash or a 500).
 *
 * @example
 * ```ts
 * const app = createApp({ provider: imds(), vaultUrl: 'https://myvault.vault.azure.net' })
 * app.listen(8080)
 * ```
 */
export function createApp(options: AppOptions): Express {
  const { provider } = options
  const vault = new URL(options.vaultUrl)

  // A fetch that puts `Authorization: Bearer <vault token>` on requests to the vault's origin and
  // on nothing else: a redirect elsewhere loses the header, another host never gets a token.
  // Plain http is refused for anything but loopback (the stand-in vault of run.ts is loopback).
  const vaultFetch = authorizedFetch({ provider, origins: { [vault.origin]: VAULT_SCOPE } })

  const app = express()
  app.disable('x-powered-by')

  // 200 when the vault token is cached and usable, else 503; synchronous, no I/O, never a token in
  // the body. Point the platform's readiness probe here, not its liveness probe: a restart does
  // not bring the token endpoint back.
  app.get('/ready', readiness({ provider, scopes: [VAULT_SCOPE] }))

  app.get('/greeting', async (_req, res) => {
    // The token comes from the provider's cache: no request to IMDS here once warmed up. A token
    // failure rejects with a KeylessError; Express 5 hands the rejection to tokenErrors() below.
    const response = await vaultFetch(new URL(`/secrets/${GREETING_SECRET}?api-version=7.4`, vault))
    if (!response.ok) {
      // The vault's own error (403: the identity lacks the role) is the vault's business, not the
      // caller's: say which upstream failed, keep its body out of the answer.
      await response.body?.cancel()
      res.status(502).json({ error: 'vault', status: response.status })
      return
    }
    const secret = (await response.json()) as { value?: unknown }
    res.json({ greeting: secret.value })
  })

  // After the routes: a KeylessError (endpoint down, identity not assigned, ...) → 503 with
  // { error: code, message } and Retry-After when the endpoint gave one. Anything else goes on to
  // Express's default handler (a 500).
  app.use(tokenErrors())
  return app
}
