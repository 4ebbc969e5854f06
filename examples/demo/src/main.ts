/**
 * The keyless demo: starts the IMDS emulator in this process on 127.0.0.1 (a free port), points
 * keyless at it, and prints one measured line per behaviour that matters. Nothing connects
 * anywhere but the emulator. Exits 0 when every behaviour held, 1 otherwise.
 *
 * @module
 */
import { createRequire } from 'node:module'
import { ManagedIdentityCredential } from '@azure/identity'
import type { KeylessTokenProvider } from '@keyless/core'
import { startEmulator, type Emulator } from '@keyless/emulator'
import { imds } from '@keyless/imds'
import { backgroundRefresh, cacheHit, hangingEndpoint, outage, singleFlight, type Outcome } from './behaviours.js'
import { duration, nowNs } from './measure.js'

const WATCHDOG_MS = 60_000

async function main(): Promise<number> {
  const started = nowNs()
  const watchdog = setTimeout(() => {
    console.error(`✗ the demo did not finish within ${WATCHDOG_MS / 1000} s; something hangs`)
    process.exit(1)
  }, WATCHDOG_MS)
  watchdog.unref()

  const emulators: Emulator[] = []
  const providers: KeylessTokenProvider[] = []
  let failed = 0
  const report = (outcome: Outcome): void => {
    if (outcome.problems.length === 0) {
      console.log(`✓ ${outcome.line}`)
    } else {
      failed++
      console.log(`✗ ${outcome.line}`)
      for (const problem of outcome.problems) console.log(`    ${problem}`)
    }
  }

  try {
    // Tokens for a day, as Azure issues them; and a second emulator with 4 s tokens, so a
    // background refresh and an outage around it fit in a few seconds.
    const emulator = await startEmulator({ port: 0 })
    emulators.push(emulator)
    const shortLived = await startEmulator({ port: 0, tokenLifetimeMs: 4000 })
    emulators.push(shortLived)

    console.log(`keyless demo: Azure managed-identity tokens from an IMDS emulator at ${emulator.url}\n`)

    // The contrast: @azure/identity pointed at the same emulator (it reads this variable).
    process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = emulator.url
    const azure = { credential: new ManagedIdentityCredential(), version: azureIdentityVersion() }

    const provider = imds({ endpoint: emulator.url })
    providers.push(provider)

    report(await singleFlight(provider, emulator, azure))
    report(await cacheHit(provider, emulator, azure))
    report(await backgroundRefresh(shortLived))
    report(await outage(shortLived))
    report(await hangingEndpoint(emulator))
  } catch (error) {
    failed++
    console.error(`✗ the demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  } finally {
    await Promise.allSettled(providers.map((p) => p.close()))
    await Promise.allSettled(emulators.map((e) => e.close()))
    clearTimeout(watchdog)
  }

  const took = duration(nowNs() - started)
  if (failed > 0) {
    console.error(`\n✗ ${failed} behaviour${failed === 1 ? '' : 's'} not shown (${took}); see the lines above`)
    return 1
  }
  console.log(`\nall 5 behaviours measured live in ${took}`)
  return 0
}

function azureIdentityVersion(): string {
  const require = createRequire(import.meta.url)
  return (require('@azure/identity/package.json') as { version: string }).version
}

const code = await main()
// Everything is closed, so the process ends on its own; only a failure forces the exit code.
if (code !== 0) process.exit(code)
