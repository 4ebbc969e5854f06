/**
 * The service's entry point, as deployed on App Service (the same code runs on Functions,
 * Container Apps, AKS Workload Identity or a VM: `auto()` picks the source from the environment).
 *
 * | variable | meaning |
 * | --- | --- |
 * | `STORAGE_ACCOUNT_URL` | the account, e.g. `https://myaccount.blob.core.windows.net` (required) |
 * | `NOTES_CONTAINER` | the container; default `notes`, created at start if missing |
 * | `PORT` | port to listen on; default 8080, `0` picks a free one |
 * | `HOST` | address to listen on; default `127.0.0.1` |
 * | `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` | set by App Service, read by `auto()` |
 *
 * Prints `listening on <url>` once it accepts connections.
 *
 * @module
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { BlobServiceClient } from '@azure/storage-blob'
import { auto, toTokenCredential } from 'keyless'
import { createNotesServer } from './app.js'

const accountUrl = process.env['STORAGE_ACCOUNT_URL']
if (accountUrl === undefined || accountUrl === '') {
  console.error('STORAGE_ACCOUNT_URL is not set; set it to the account URL, e.g. https://myaccount.blob.core.windows.net')
  process.exit(1)
}
const containerName = process.env['NOTES_CONTAINER'] ?? 'notes'
const host = process.env['HOST'] ?? '127.0.0.1'
const port = Number(process.env['PORT'] ?? 8080)

// One provider for the process, chosen from the environment without any network I/O: on App
// Service, IDENTITY_ENDPOINT + IDENTITY_HEADER select the App Service source. A present but
// malformed variable throws a `config` error here, at start, not at the first request.
const provider = auto()
console.log(`token source: ${provider.describe()}`) // source, endpoint host, why; never the header

// toTokenCredential() is the Azure SDK's TokenCredential: every SDK client takes it. The SDK asks
// for a token before each request; keyless serves it from its cache, refreshes it in the
// background before it expires, and sends one request to the endpoint however many clients share it.
const blobs = new BlobServiceClient(accountUrl, toTokenCredential(provider))
const container = blobs.getContainerClient(containerName)

// The first call to Storage fetches the token too, so this doubles as the warm-up: if the identity
// cannot get a token or lacks the role, the process exits 1 here, before taking traffic.
const created = await container.createIfNotExists()
console.log(`container ${containerName}: ${created.succeeded ? 'created' : 'already there'}`)

const server = createNotesServer(container)
server.listen(port, host)
await once(server, 'listening') // rejects on 'error' (a port in use, say)
const address = server.address() as AddressInfo
console.log(`listening on http://${address.address}:${address.port}`)

// Stop taking connections, let the open ones finish, then release the provider's timers and
// sockets. Nothing is left running, so the process ends on its own with code 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => void provider.close()))
}
