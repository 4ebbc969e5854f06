/**
 * The five behaviours the demo shows, each measured live against the in-process emulator.
 * Each returns one report line and the problems found (none when the behaviour holds).
 *
 * What is asserted is what is deterministic (request counts, error codes, calls served from
 * cache); timings are printed as information only, since this may run on a busy machine.
 *
 * @module
 */
import type { TokenCredential } from '@azure/identity'
import { isKeylessError, type AccessToken, type KeylessTokenProvider } from '@keyless/core'
import type { Emulator } from '@keyless/emulator'
import { imds } from '@keyless/imds'
import { count, duration, nowNs, plural, sleep, within } from './measure.js'

/** One line of the report. */
export interface Outcome {
  readonly line: string
  /** What did not hold; empty when the behaviour was shown. */
  readonly problems: readonly string[]
}

const VAULT = 'https://vault.azure.net/.default'
const STORAGE = 'https://storage.azure.com/.default'
const GRAPH = 'https://graph.microsoft.com/.default'

/** Calls made back to back before a 1 ms pause that lets timers and sockets run. */
const BATCH = 100

/**
 * 1. A burst of concurrent callers on a cold scope shares one upstream request. The same burst
 * through `@azure/identity` (when given) is the contrast: it sends one request per caller.
 */
export async function singleFlight(
  provider: KeylessTokenProvider,
  emulator: Emulator,
  azure: { credential: TokenCredential; version: string } | undefined,
): Promise<Outcome> {
  const callers = 1000
  const problems: string[] = []

  const before = emulator.counters.tokenRequests
  const statsBefore = provider.stats().upstreamRequests
  const tokens = await Promise.all(Array.from({ length: callers }, () => provider.getToken(VAULT)))
  const upstream = emulator.counters.tokenRequests - before
  const counted = provider.stats().upstreamRequests - statsBefore
  if (upstream !== 1) problems.push(`expected 1 upstream request, the emulator saw ${upstream}`)
  if (counted !== upstream) problems.push(`provider.stats() counted ${counted} upstream requests, the emulator ${upstream}`)
  if (new Set(tokens.map((t) => t.token)).size !== 1) problems.push('callers did not all get the same token')

  let contrast = ''
  if (azure !== undefined) {
    const azureBefore = emulator.counters.tokenRequests
    const results = await Promise.allSettled(Array.from({ length: callers }, () => azure.credential.getToken(VAULT)))
    const azureUpstream = emulator.counters.tokenRequests - azureBefore
    const failed = results.filter((r) => r.status === 'rejected').length
    contrast = ` (@azure/identity ${azure.version}: ${plural(azureUpstream, 'request')}${failed > 0 ? `, ${count(failed)} callers failed` : ''})`
  }
  return { line: `${count(callers)} concurrent callers → ${plural(upstream, 'upstream request')}${contrast}`, problems }
}

/** 2. A cache hit costs nanoseconds: 1e6 sequential `await getToken()` on a warm scope. */
export async function cacheHit(
  provider: KeylessTokenProvider,
  emulator: Emulator,
  azure: { credential: TokenCredential } | undefined,
): Promise<Outcome> {
  const iterations = 1_000_000
  const problems: string[] = []
  await provider.getToken(VAULT) // warm (behaviour 1 already fetched it)
  for (let i = 0; i < 50_000; i++) await provider.getToken(VAULT) // let the JIT settle

  const upstreamBefore = emulator.counters.tokenRequests
  const hitsBefore = provider.stats().hits
  const start = nowNs()
  for (let i = 0; i < iterations; i++) await provider.getToken(VAULT)
  const perCall = (nowNs() - start) / iterations
  const hits = provider.stats().hits - hitsBefore
  const upstream = emulator.counters.tokenRequests - upstreamBefore
  if (hits !== iterations) problems.push(`expected ${count(iterations)} hits, stats() counted ${count(hits)}`)
  if (upstream !== 0) problems.push(`cache hits sent ${upstream} upstream requests`)

  let contrast = ''
  if (azure !== undefined) {
    const azureCalls = 2000
    for (let i = 0; i < 200; i++) await azure.credential.getToken(VAULT)
    const azureBefore = emulator.counters.tokenRequests
    const azureStart = nowNs()
    for (let i = 0; i < azureCalls; i++) await azure.credential.getToken(VAULT)
    const azurePerCall = (nowNs() - azureStart) / azureCalls
    const azureUpstream = emulator.counters.tokenRequests - azureBefore
    contrast = ` (@azure/identity: ${duration(azurePerCall)}/op${azureUpstream > 0 ? `, ${plural(azureUpstream, 'request')}` : ''})`
  }
  return { line: `cache hit → ${duration(perCall)}/op over ${count(iterations)} sequential awaits${contrast}`, problems }
}

/**
 * Calls `getToken(scope)` like a busy server would: {@link BATCH} calls, then a 1 ms pause for
 * timers and sockets, over and over until `stop()` says so. Times every call.
 */
async function keepCalling(
  provider: KeylessTokenProvider,
  scope: string,
  stop: () => boolean,
  onCall: (token: AccessToken, tookNs: number) => void,
): Promise<number> {
  let calls = 0
  while (!stop()) {
    for (let i = 0; i < BATCH; i++) {
      const start = nowNs()
      const token = await provider.getToken(scope)
      onCall(token, nowNs() - start)
    }
    calls += BATCH
    await sleep(1)
  }
  return calls
}

/**
 * 3. A background refresh completes with no caller waiting. Tokens live 4 s, so keyless refreshes
 * them about 2 s in; the emulator answers slowly (250 ms) so the refresh is in flight for a while.
 * Callers keep calling from shortly before the refresh point until after the new token arrives;
 * none may miss the cache, so none waits for the fetch.
 */
export async function backgroundRefresh(emulator: Emulator): Promise<Outcome> {
  const upstreamLatencyMs = 250
  const problems: string[] = []
  const provider = imds({ endpoint: emulator.url, expiryMarginMs: 500 })
  try {
    const first = await provider.getToken(VAULT)
    const base = provider.stats()
    const upstreamBefore = emulator.counters.tokenRequests
    emulator.faults.latencyMs(upstreamLatencyMs)

    let refreshing = false
    let refreshMs: number | undefined
    provider.on('refresh-start', (e) => {
      if (e.reason === 'refresh') refreshing = true
    })
    provider.on('refresh-success', (e) => {
      refreshing = false
      refreshMs = e.durationMs
    })

    // Keep the token in use (a refresh is skipped for a token nobody asked for), then wait
    // calmly until just before the refresh point.
    await provider.getToken(VAULT)
    await sleep(Math.max(0, first.refreshAt - 300 - Date.now()))

    let callsDuringRefresh = 0
    const latencies: number[] = []
    let changedAt: number | undefined
    const giveUpAt = first.expiresAt + 1000
    const calls = await keepCalling(
      provider,
      VAULT,
      () => (changedAt !== undefined && Date.now() - changedAt >= 200) || Date.now() > giveUpAt,
      (token, tookNs) => {
        latencies.push(tookNs)
        if (refreshing) callsDuringRefresh++
        if (changedAt === undefined && token.token !== first.token) changedAt = Date.now()
      },
    )
    emulator.faults.clear()

    const misses = provider.stats().misses - base.misses
    const upstream = emulator.counters.tokenRequests - upstreamBefore
    if (changedAt === undefined) problems.push('the token was never refreshed')
    if (misses !== 0) problems.push(`${count(misses)} callers missed the cache and waited for the refresh`)
    if (upstream !== 1) problems.push(`expected 1 refresh request, the emulator saw ${upstream}`)
    if (callsDuringRefresh === 0) problems.push('no call was made while the refresh was in flight')
    latencies.sort((a, b) => a - b)
    const slowestNs = latencies.at(-1) ?? 0
    const p999Ns = latencies[Math.floor(latencies.length * 0.999)] ?? slowestNs
    return {
      line:
        `background refresh → new token, ${count(misses)} of ${count(calls)} calls waited ` +
        `(${count(callsDuringRefresh)} during the ${refreshMs ?? '?'} ms refresh); ` +
        `slowest call ${duration(slowestNs)}, p99.9 ${duration(p999Ns)}; ${plural(upstream + 1, 'upstream request')}`,
      problems,
    }
  } finally {
    emulator.faults.clear()
    await provider.close()
  }
}

/**
 * 4. An outage is ridden out while the cached token is usable: every upstream request fails with
 * HTTP 500 from just after the first fetch until shortly before the token's end of usability, so
 * the refresh point falls inside the outage. Every call must still get the cached token.
 */
export async function outage(emulator: Emulator): Promise<Outcome> {
  const problems: string[] = []
  const provider = imds({
    endpoint: emulator.url,
    expiryMarginMs: 500,
    retry: { retries: 1, baseDelayMs: 100, maxDelayMs: 100, minDelayMs: 100 },
    coolDownMs: 250,
    maxCoolDownMs: 500,
  })
  try {
    const first = await provider.getToken(STORAGE)
    const base = provider.stats()
    let failures = 0
    let servedCached = 0
    provider.on('refresh-failure', (e) => {
      failures++
      if (e.servingCachedToken) servedCached++
    })

    const status500Before = emulator.counters.byStatus[500] ?? 0
    emulator.faults.always({ status: 500 })
    const outageStart = nowNs()
    const endAt = first.expiresAt - 800 // usable until expiresAt − 500 ms; stop a little before
    let fromCache = 0
    const calls = await keepCalling(
      provider,
      STORAGE,
      () => Date.now() >= endAt,
      (token) => {
        if (token.token === first.token) fromCache++
      },
    )
    const outageNs = nowNs() - outageStart
    const failed500 = (emulator.counters.byStatus[500] ?? 0) - status500Before

    // The fault clears; the breaker's scheduled retry should bring a fresh token on its own.
    const recovered = new Promise<void>((resolve) => {
      provider.on('refresh-success', () => resolve())
    })
    const clearedAt = nowNs()
    emulator.faults.clear()
    let recoveryNs: number | undefined
    try {
      await within(5000, 'no fresh token within 5 s of the outage ending', recovered)
      recoveryNs = nowNs() - clearedAt
    } catch (error) {
      problems.push((error as Error).message)
    }

    const stats = provider.stats()
    const misses = stats.misses - base.misses
    const recorded = stats.refreshFailures - base.refreshFailures
    const share = calls === 0 ? 0 : (100 * fromCache) / calls
    if (calls === 0) problems.push('the outage ended before any call was made')
    if (fromCache !== calls) problems.push(`${count(calls - fromCache)} of ${count(calls)} calls did not get the cached token`)
    if (misses !== 0) problems.push(`${count(misses)} calls missed the cache during the outage`)
    if (failures < 1 || recorded !== failures) {
      problems.push(`expected ≥ 1 refresh failure in events and stats(), got ${failures} and ${recorded}`)
    }
    if (servedCached !== failures) problems.push(`${failures - servedCached} refresh failures happened without a usable cached token`)
    if (failed500 < 1) problems.push('no upstream request got the injected 500')
    return {
      line:
        `outage (HTTP 500 on all ${plural(failed500, 'request')} for ${duration(outageNs)}) → ` +
        `${share === 100 ? '100' : share.toFixed(2)} % of ${count(calls)} calls served from the cached token, ` +
        `${plural(failures, "'refresh-failure' event")} (stats().refreshFailures: ${recorded})` +
        (recoveryNs === undefined ? '' : `, fresh token ${duration(recoveryNs)} after it ended`),
      problems,
    }
  } finally {
    emulator.faults.clear()
    await provider.close()
  }
}

/** 5. A hanging endpoint is cut off at the deadline: getToken rejects with code `deadline`. */
export async function hangingEndpoint(emulator: Emulator): Promise<Outcome> {
  const deadlineMs = 1500
  const problems: string[] = []
  const provider = imds({ endpoint: emulator.url, deadlineMs })
  try {
    emulator.faults.always({ kind: 'hang' })
    const start = nowNs()
    let code: string | undefined
    try {
      await within(deadlineMs + 10_000, 'getToken still pending 10 s after the deadline', provider.getToken(GRAPH))
      problems.push('getToken resolved although the endpoint never answered')
    } catch (error) {
      code = isKeylessError(error) ? error.code : undefined
      if (!isKeylessError(error)) problems.push(`getToken rejected with ${String(error)}, not a KeylessError`)
    }
    const tookNs = nowNs() - start
    const tookMs = tookNs / 1e6
    if (code !== undefined && code !== 'deadline') problems.push(`expected code 'deadline', got '${code}'`)
    if (tookMs < deadlineMs - 5) problems.push(`rejected after ${tookMs.toFixed(0)} ms, before the ${deadlineMs} ms deadline`)
    if (tookMs > deadlineMs * 2) problems.push(`rejected after ${tookMs.toFixed(0)} ms, long past the ${deadlineMs} ms deadline`)
    return {
      line: `hanging endpoint → getToken rejected after ${duration(tookNs)} with code '${code ?? 'none'}' (deadlineMs: ${deadlineMs})`,
      problems,
    }
  } finally {
    emulator.faults.clear()
    await provider.close()
  }
}
