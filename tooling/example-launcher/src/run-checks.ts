/**
 * The frame of every example's launcher: a watchdog, the report, and the exit code CI reads.
 *
 * @module
 */
import { createReport, plural, type Report } from './report.js'

/**
 * Runs `checks` with a fresh report, prints the closing line, and exits 1 if a check failed or
 * nothing finished within `watchdogMs` (so a hang fails CI instead of stalling it).
 *
 * @example
 * ```ts
 * await runChecks('express-imds', 30_000, async (report) => {
 *   report.check('GET /ready → 200', [])
 * })
 * ```
 */
export async function runChecks(name: string, watchdogMs: number, checks: (report: Report) => Promise<void>): Promise<void> {
  const started = performance.now()
  const watchdog = setTimeout(() => {
    console.error(`✗ ${name} did not finish within ${watchdogMs / 1000} s; something hangs`)
    process.exit(1)
  }, watchdogMs).unref()
  const report = createReport()
  await checks(report)
  clearTimeout(watchdog)
  const took = `${((performance.now() - started) / 1000).toFixed(1)} s`
  if (report.failed > 0) {
    console.error(`\n✗ ${name}: ${plural(report.failed, 'check')} failed (${took}); see the lines above`)
    process.exit(1)
  }
  console.log(`\n${name}: all checks passed in ${took}`)
}
