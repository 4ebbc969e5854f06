/**
 * The service's entry point, as deployed in an AKS pod with Workload Identity: configuration from
 * the environment, tokens before traffic (in `listen()`), a clean shutdown.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST` | injected by the AKS webhook, read by `workloadIdentity()` |
 * | `PORT` | port to listen on; default 3000, `0` picks a free one |
 * | `HOST` | address to listen on; default `127.0.0.1` |
 * | `LOG_LEVEL` | pino's level; default `info` |
 *
 * Prints `listening on <url>` once it accepts connections.
 *
 * @module
 */
import { buildApp } from './app.js'

const host = process.env['HOST'] ?? '127.0.0.1'
const port = Number(process.env['PORT'] ?? 3000)

const app = await buildApp({ logLevel: process.env['LOG_LEVEL'] })

// listen() runs onReady first, where the plugin fetches the vault token. If that fails (no
// federated credential for this service account, the token file missing), listen() rejects with
// the coded KeylessError, the process exits 1, and Kubernetes restarts the pod.
const url = await app.listen({ host, port })
console.log(`token source: ${app.keyless.name}`)
console.log(`listening on ${url}`)

// Kubernetes sends SIGTERM: stop taking connections, finish the open ones, then the plugin closes
// the provider it owns (timers, sockets, the token file's watcher). The process ends with code 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close())
}
