/**
 * The plugin-overhead part of the report: requests/s per framework and variant, the ratios, the
 * keyless ÷ no-token target, and the checks that say whether the figures can be trusted.
 *
 * @module
 */
import { num, perRun, ratio, spread } from './format.js'
import type { HttpResult } from './http-load.js'
import type { Framework, HttpVariant } from './http-server.js'
import type { RunRecord, Target } from './report.js'
import { metric, type Metric } from './stats.js'

/** Frameworks, and variants of each, in their base order (run.ts rotates it from run to run). */
export const HTTP_FRAMEWORKS = ['express', 'fastify'] as const satisfies readonly Framework[]
export const HTTP_VARIANTS = ['none', 'await', 'keyless', 'azure'] as const satisfies readonly HttpVariant[]
/** keyless req/s ÷ no-token req/s must be at least this, per framework. */
export const HTTP_OVERHEAD_TARGET = 0.97

/** One framework and variant over all runs. */
export interface HttpVariantSummary {
  requestsPerSec: Metric
  /** Cores used during the measured load: the server process, and autocannon's process. */
  serverCpu: Metric
  loadCpu: Metric
  serverCpuMicrosPerRequest: Metric
  /** Sums over runs. */
  failed: number
  upstreamDuringLoad: number
  served: number
  tokens: number
}
/** Per framework: its installed version, and each variant's figures. */
export type HttpSummary = Record<Framework, { version: string } & Record<HttpVariant, HttpVariantSummary>>

const FRAMEWORK_LABELS: Record<Framework, string> = { express: 'Express', fastify: 'Fastify' }
const VARIANT_NAMES: Record<Framework, Record<HttpVariant, string>> = {
  express: { none: 'no token', await: 'no token, `await` of a settled promise', keyless: 'keyless `await requestToken(req, scope)`', azure: '@azure/identity `await credential.getToken(scope)`' },
  fastify: { none: 'no token', await: 'no token, `await` of a settled promise', keyless: 'keyless `await request.getToken(scope)`', azure: '@azure/identity `await credential.getToken(scope)`' },
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)

/** Medians over runs of every framework and variant. */
export function summarizeHttp(records: RunRecord[]): HttpSummary {
  const summary = {} as HttpSummary
  for (const framework of HTTP_FRAMEWORKS) {
    summary[framework] = { version: '?' } as HttpSummary[Framework]
    for (const variant of HTTP_VARIANTS) {
      const runs = records
        .filter((r) => r.task.kind === 'http' && r.task.framework === framework && r.task.subject === variant)
        .sort((a, b) => a.task.run - b.task.run)
        .map((r) => r.result as HttpResult | undefined)
      summary[framework].version = runs.find((r) => r !== undefined)?.frameworkVersion ?? summary[framework].version
      const of = (pick: (r: HttpResult) => number): Metric => metric(runs.map((r) => (r === undefined ? Number.NaN : pick(r))))
      summary[framework][variant] = {
        requestsPerSec: of((r) => r.requestsPerSec),
        serverCpu: of((r) => r.serverCpu),
        loadCpu: of((r) => r.loadCpu),
        serverCpuMicrosPerRequest: of((r) => r.serverCpuMicrosPerRequest),
        failed: sum(runs.map((r) => r?.failed ?? 0)),
        upstreamDuringLoad: sum(runs.map((r) => r?.upstreamDuringLoad ?? 0)),
        served: sum(runs.map((r) => r?.served ?? 0)),
        tokens: sum(runs.map((r) => r?.tokens ?? 0)),
      }
    }
  }
  return summary
}

const nameOf = (http: HttpSummary, framework: Framework): string => `${FRAMEWORK_LABELS[framework]} ${http[framework].version}`

const overhead = (http: HttpSummary, framework: Framework): number =>
  http[framework].keyless.requestsPerSec.median / http[framework].none.requestsPerSec.median

/** One target per framework: keyless ÷ no-token requests/s ≥ {@link HTTP_OVERHEAD_TARGET}. */
export function httpTargets(http: HttpSummary): Target[] {
  return HTTP_FRAMEWORKS.map((framework) => {
    const value = overhead(http, framework)
    return {
      id: `${framework}-overhead` as const,
      metric: `${nameOf(http, framework)} requests/s, keyless ÷ no token`,
      target: `≥ ${HTTP_OVERHEAD_TARGET}×`,
      value: ratio(value),
      met: value >= HTTP_OVERHEAD_TARGET,
    }
  })
}

/** The plugin-overhead table: one row per framework. */
export function renderHttpTable(http: HttpSummary, status: (id: Target['id']) => string): string[] {
  const lines = [
    '| Plugin overhead: requests/s, 10 connections | no token | no token, one `await` | keyless | @azure/identity | keyless ÷ no token | keyless ÷ one `await` | keyless ÷ @azure/identity | Target | Status |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ]
  for (const framework of HTTP_FRAMEWORKS) {
    const f = http[framework]
    lines.push(
      `| ${nameOf(http, framework)}, \`GET\` small JSON, token on every request | ${num(f.none.requestsPerSec.median)} | ${num(f.await.requestsPerSec.median)} | ` +
        `${num(f.keyless.requestsPerSec.median)} | ${num(f.azure.requestsPerSec.median)} | ${ratio(overhead(http, framework))} | ` +
        `${ratio(f.keyless.requestsPerSec.median / f.await.requestsPerSec.median)} | ` +
        `${ratio(f.keyless.requestsPerSec.median / f.azure.requestsPerSec.median)} | ≥ ${HTTP_OVERHEAD_TARGET}× no token | ${status(`${framework}-overhead`)} |`,
    )
  }
  return lines
}

/** Rows of the "Details" table. */
export function renderHttpDetails(http: HttpSummary): string[] {
  const lines: string[] = []
  for (const framework of HTTP_FRAMEWORKS) {
    for (const variant of HTTP_VARIANTS) {
      const v = http[framework][variant]
      const name = `${nameOf(http, framework)}, ${VARIANT_NAMES[framework][variant]}`
      lines.push(`| HTTP requests/s | ${name} | ${spread(v.requestsPerSec)} | ${perRun(v.requestsPerSec)} |`)
      lines.push(`| HTTP server CPU µs per request | ${name} | ${spread(v.serverCpuMicrosPerRequest)} | ${perRun(v.serverCpuMicrosPerRequest)} |`)
    }
  }
  return lines
}

/** Lines of the "Checks" list. */
export function renderHttpChecks(http: HttpSummary): string[] {
  const each = (pick: (v: HttpVariantSummary) => string): string =>
    HTTP_FRAMEWORKS.flatMap((framework) => HTTP_VARIANTS.map((variant) => `${framework} ${variant} ${pick(http[framework][variant])}`)).join(', ')
  const all = HTTP_FRAMEWORKS.flatMap((framework) => HTTP_VARIANTS.map((variant) => http[framework][variant]))
  const upstream = sum(all.map((v) => v.upstreamDuringLoad))
  const failed = sum(all.map((v) => v.failed))
  const tokenVariants = HTTP_FRAMEWORKS.flatMap((framework) => [http[framework].keyless, http[framework].azure])
  const tokensMatch = tokenVariants.every((v) => v.tokens === v.served && v.served > 0)
  const lines = [
    `- Plugin overhead: token requests the emulator saw while autocannon ran (warm-up load included, after each server's one warm-up fetch): ${upstream}` +
      `${upstream === 0 ? ' (every request under load was served from the cache)' : ' (NOT all cache hits!)'}.`,
    `- Plugin overhead: failed requests (errors, timeouts, resets, non-2xx), over all runs: ${failed}${failed === 0 ? '' : ' (the req/s figures count 2xx only)'}.`,
    `- Plugin overhead: tokens the handlers got = handler runs in every token variant: ${tokensMatch ? 'yes' : 'NO'} ` +
      `(${HTTP_FRAMEWORKS.map((f) => `${f} keyless ${num(http[f].keyless.tokens)}/${num(http[f].keyless.served)}, azure ${num(http[f].azure.tokens)}/${num(http[f].azure.served)}`).join('; ')}).`,
    `- Plugin overhead, who is the bottleneck: median cores used by the server process ${each((v) => v.serverCpu.median.toFixed(2))}; ` +
      `by autocannon's process ${each((v) => v.loadCpu.median.toFixed(2))}. A server near 1.00 is saturated, so req/s measures the server, not the load generator.`,
  ]
  for (const framework of HTTP_FRAMEWORKS) {
    const f = http[framework]
    const none = f.none.serverCpuMicrosPerRequest.median
    const keyless = f.keyless.serverCpuMicrosPerRequest.median
    lines.push(
      `- Plugin overhead, ${nameOf(http, framework)} server CPU per request: no token ${num(none)} µs, one \`await\` ${num(f.await.serverCpuMicrosPerRequest.median)} µs, keyless ${num(keyless)} µs ` +
        `(${keyless >= none ? '+' : ''}${num(keyless - none)} µs; no token ÷ keyless ${ratio(none / keyless)}), @azure/identity ${num(f.azure.serverCpuMicrosPerRequest.median)} µs ` +
        `(informational: CPU time is less disturbed than req/s by other load on the machine; the target uses req/s).`,
    )
  }
  return lines
}
