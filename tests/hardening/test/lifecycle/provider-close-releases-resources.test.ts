/**
 * Lifecycle: after `close()` no timer, socket or file watcher of keyless remains, for every
 * provider kind (imds, App Service 2019 and 2017, Workload Identity with its token-file watcher,
 * auto() for each, chain()), closed while a background refresh is scheduled, a retry is backing
 * off and a request hangs in flight (which close() aborts). Checked two ways against a baseline
 * taken with the emulator already running: `process.getActiveResourcesInfo()` (ref'd handles) and
 * an async_hooks tracker, which also sees the unref'd timers keyless uses.
 */
import { EMULATOR_SOURCES } from '@keyless/emulator'
import { appService, chain, workloadIdentity, type KeylessTokenProvider, type TokenProviderOptions } from 'keyless'
import { beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { watchResources } from '../support/active-handles.js'
import { autoSubjects, directSubjects, stubSourceEnv, useSourceEmulator } from '../support/emulator-sources.js'

const VAULT = 'https://vault.azure.net/.default'
const STORAGE = 'https://storage.azure.com/.default'
const GRAPH = 'https://graph.microsoft.com/.default'
const ARM = 'https://management.azure.com/.default'
const OPTIONS: TokenProviderOptions = { forceRefreshIntervalMs: 0, retry: { retries: 5, baseDelayMs: 60_000, minDelayMs: 60_000 } }


const emulator = useSourceEmulator()

/** The last step {@link busyThenClose} reached; a failed test (a timeout included) prints it. */
let reached = ''
beforeEach(() => {
  reached = 'not started'
  onTestFailed(() => console.error(`lifecycle: the test failed after the step "${reached}"`))
})

/**
 * Puts `provider` in the busiest state it can be in, then closes it: two cached tokens with their
 * refresh timers, a forced refresh hanging in flight, a retry backing off, a new scope hanging.
 * Returns how the pending calls ended.
 */
async function busyThenClose(provider: KeylessTokenProvider | ReturnType<typeof chain>, endpoint: string): Promise<unknown[]> {
  await provider.getToken(VAULT)
  await provider.getToken(STORAGE)
  reached = 'two tokens cached'
  const faults = emulator().faultsFor(endpoint as 'imds')
  faults.enqueue({ status: 503 }) // GRAPH: fails, then backs off for a minute
  const backingOff = provider.getToken(GRAPH).then(() => 'resolved', (error: unknown) => error)
  await emulator().waitForRequests(3)
  reached = 'the emulator saw the third request (503)'
  faults.always({ kind: 'hang' })
  const forced = provider.getToken(VAULT, { forceRefresh: true }).then(() => 'resolved', (error: unknown) => error)
  const hanging = provider.getToken(ARM).then(() => 'resolved', (error: unknown) => error)
  await emulator().waitForRequests(5)
  reached = 'the emulator saw both hanging requests'
  await provider.close()
  reached = 'close() resolved'
  const endings = await Promise.all([backingOff, forced, hanging])
  reached = 'every pending call settled; waiting for handles to go'
  return endings
}

const endpointOf = (source: string): string => (source === 'workload-identity' ? 'entra' : source)

describe('lifecycle: close() leaves no timer, socket or handle behind', () => {
  it.each(EMULATOR_SOURCES)('%s, closed with refreshes scheduled, a retry backing off and requests in flight', async (source) => {
    const watch = watchResources()
    const provider = directSubjects(emulator())
      .find((s) => s.source === source)!
      .make(OPTIONS)
    const closePromise = busyThenClose(provider, endpointOf(source))
    const endings = await closePromise
    expect(endings).toEqual([expect.objectContaining({ code: 'closed' }), expect.objectContaining({ code: 'closed' }), expect.objectContaining({ code: 'closed' })])

    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })

  it.each(EMULATOR_SOURCES)('auto() → %s, the same', async (source) => {
    const watch = watchResources()
    const provider = autoSubjects(emulator())
      .find((s) => s.source === source)!
      .make(OPTIONS)
    const endings = await busyThenClose(provider, endpointOf(source))
    expect(endings.every((e) => (e as { code?: string }).code === 'closed')).toBe(true)
    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })

  it('chain(), closing every member', async () => {
    const watch = watchResources()
    stubSourceEnv(emulator().envFor('app-service'))
    const provider = chain(workloadIdentity(), appService(OPTIONS))
    const endings = await busyThenClose(provider, 'app-service')
    expect(endings.every((e) => (e as { code?: string }).code === 'closed')).toBe(true)
    const { active, live } = await watch.leftovers()
    expect(live).toEqual([])
    expect(active).toMatchObject(pick(watch.baseline))
  })

  it('the checks see what a live provider holds (control)', async () => {
    const live = await workloadIdentityHeldThenClosed((types) => {
      expect(types).toContain('Timeout') // the refresh timer
      expect(types).toContain('TCPWRAP') // the kept-alive connection
      expect(types).toContain('FSEVENTWRAP') // the token-file watcher
    })
    expect(live).toEqual([])
  })

  it('a closed TLS socket whose wrapper reached the old generation is not reported (control)', async () => {
    // The TLS wrapper of a closed socket is destroyed only when it is collected. A slow run lets it
    // live through two scavenges, into the old generation, which only a full collection frees:
    // the wait must run one (eventLoopTurns), or it would report this socket as left behind.
    const live = await workloadIdentityHeldThenClosed((types) => {
      expect(types).toContain('TLSWRAP')
      promoteSurvivors()
    })
    expect(live).toEqual([])
  })
})

/**
 * A Workload Identity provider (TLS to the emulator's Entra endpoint, a token-file watcher) gets
 * one token; `whileHeld` sees the handle types made so far; then the provider is closed. Returns
 * what is still live once the wait for leftovers is over.
 */
async function workloadIdentityHeldThenClosed(whileHeld: (types: string[]) => void): Promise<string[]> {
  const watch = watchResources()
  const provider = directSubjects(emulator())
    .find((s) => s.source === 'workload-identity')!
    .make(OPTIONS)
  await provider.getToken(VAULT)
  whileHeld(watch.tracker.live().map((h) => h.type))
  await provider.close()
  return (await watch.leftovers()).live
}

/** Allocates about 80 MB of short-lived objects: several scavenges, so what is alive now is promoted. */
function promoteSurvivors(): void {
  let kept: { n: number }[] = []
  for (let round = 0; round < 20; round++) {
    kept = []
    for (let n = 0; n < 200_000; n++) kept.push({ n })
  }
  expect(kept).toHaveLength(200_000)
}

/** The socket, server and watcher counts of a baseline (ref'd timers come and go with vitest itself). */
function pick(counts: Record<string, number>): Record<string, number> {
  const { TCPSocketWrap, TCPServerWrap, FSEventWrap, StatWatcher } = counts
  return { TCPSocketWrap: TCPSocketWrap ?? 0, TCPServerWrap: TCPServerWrap ?? 0, FSEventWrap: FSEventWrap ?? 0, StatWatcher: StatWatcher ?? 0 }
}
