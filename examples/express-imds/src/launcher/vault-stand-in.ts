/**
 * A stand-in for Key Vault on 127.0.0.1: answers `GET /secrets/greeting` when the request carries
 * a bearer token, 401 otherwise, and remembers every `Authorization` header it received so the
 * launcher can check what the service sent. It checks no signature: run.ts does that with the
 * emulator's key.
 *
 * @module
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The value of the `greeting` secret. */
export const GREETING = 'hello from the vault'

/** A running stand-in. */
export interface VaultStandIn {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** The `Authorization` header of every request, in order (`undefined` when absent). Never printed. */
  readonly authorizations: readonly (string | undefined)[]
  /** Stops listening and drops any open connection. */
  close(): Promise<void>
}

/**
 * Starts the stand-in on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const vault = await startVaultStandIn()
 * await fetch(`${vault.url}/secrets/greeting`, { headers: { authorization: `Bearer ${token}` } })
 * vault.authorizations.length // 1
 * ```
 */
export async function startVaultStandIn(): Promise<VaultStandIn> {
  const authorizations: (string | undefined)[] = []
  const server = createServer((req, res) => {
    authorizations.push(req.headers.authorization)
    res.setHeader('content-type', 'application/json')
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      res.writeHead(401).end(JSON.stringify({ error: { code: 'Unauthorized', message: 'no bearer token' } }))
    } else if (req.method === 'GET' && path === '/secrets/greeting') {
      res.end(JSON.stringify({ value: GREETING, id: `${url}/secrets/greeting/1` }))
    } else {
      res.writeHead(404).end(JSON.stringify({ error: { code: 'SecretNotFound' } }))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    authorizations,
    async close() {
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    },
  }
}
