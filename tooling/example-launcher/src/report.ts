/**
 * The launcher's report: one `✓` or `✗` line per check, the problems under a failed one.
 *
 * @module
 */

/** Collects the outcome of the launcher's checks. */
export interface Report {
  /** Prints `✓ line`, or `✗ line` and each problem indented under it when there are problems. */
  check(line: string, problems: readonly string[]): void
  /** Prints `✗ what` for something that stopped the run, with the error's message. */
  abort(what: string, error: unknown): void
  /** Checks that failed so far. */
  readonly failed: number
}

/**
 * Makes an empty report.
 *
 * @example
 * ```ts
 * const report = createReport()
 * report.check('GET /ready → 200', status === 200 ? [] : [`expected 200, got ${status}`])
 * process.exitCode = report.failed === 0 ? 0 : 1
 * ```
 */
export function createReport(): Report {
  let failed = 0
  return {
    check(line, problems) {
      if (problems.length === 0) {
        console.log(`✓ ${line}`)
        return
      }
      failed++
      console.log(`✗ ${line}`)
      for (const problem of problems) console.log(`    ${problem}`)
    },
    abort(what, error) {
      failed++
      console.log(`✗ ${what}: ${error instanceof Error ? error.message : String(error)}`)
    },
    get failed() {
      return failed
    },
  }
}

/**
 * `n` `word`, with an `s` unless `n` is 1.
 *
 * @example
 * ```ts
 * plural(1, 'token') // '1 token'
 * plural(5, 'request') // '5 requests'
 * ```
 */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
