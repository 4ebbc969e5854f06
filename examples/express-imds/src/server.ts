/**
 * The service's entry point, as deployed on an Azure VM (or any host whose managed identity is
 * served by IMDS): configuration from the environment, tokens before traffic, a clean shutdown.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `VAULT_URL` | the vault, e.g. `https://myvault.vault.azure.net` (required) |
 * | `PORT` | port to listen on; default 8080, `0` picks a free one |
 * | `HOST` | address to listen on; default `127.0.0.1` |
 * | `AZURE_POD_IDENTITY_AUTHORITY_HOST` | read by `imds()`: another IMDS endpoint (the emulator, in run.ts); unset on a VM |
 *
 * Prints `listening on <url>` once it accepts connections.
 *
 * @module
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { warmUp } from '@keyless/express'
import { imds } from '@keyless/imds'
import { createApp, VAULT_SCOPE } from './app.js'

const vaultUrl = process.env['VAULT_URL']
if (vaultUrl === undefined || vaultUrl === '') {
  console.error('VAULT_URL is not set; set it to the vault URL, e.g. https://myvault.vault.azure.net')
  process.exit(1)
}
const host = process.env['HOST'] ?? '127.0.0.1'
const port = Number(process.env['PORT'] ?? 8080)

// The identity of the machine, from IMDS: cached, refreshed before expiry, retried, and shared by
// every request. One provider per process, never one per request.
const provider = imds()
const app = createApp({ provider, vaultUrl })

// Fill the cache before taking traffic, so the first request does not wait for IMDS. warmUp keeps
// trying while IMDS is still coming up (a fresh VM, an identity assigned a minute late) and gives
// up after a minute: then this rejects, the process exits 1, and the platform restarts it.
await warmUp({ provider, scopes: [VAULT_SCOPE], signal: AbortSignal.timeout(60_000) })

const server = app.listen(port, host)
await once(server, 'listening') // rejects on 'error' (a port in use, say)
const address = server.address() as AddressInfo
console.log(`token source: ${provider.describe()}`) // source and endpoint host; never a secret
console.log(`listening on http://${address.address}:${address.port}`)

// Stop taking connections, let the open ones finish, then release the provider's timers and
// sockets. Nothing is left running, so the process ends on its own with code 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => void provider.close()))
}
