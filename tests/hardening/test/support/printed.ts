/**
 * Everything a caller, a logger or an operator could print about a value.
 */
import { inspect } from 'node:util'

/**
 * `String()`, the stack, `JSON.stringify` and `util.inspect` (hidden properties and getters
 * included) of `value` and of everything it leads to through `cause` and an `AggregateError`'s
 * `errors`, as one string.
 */
export function printed(value: unknown): string {
  const seen = new Set<unknown>()
  const out: string[] = []
  const visit = (v: unknown, depth: number): void => {
    if (v === undefined || v === null || seen.has(v) || depth > 10) return
    seen.add(v)
    let json: string | undefined
    try {
      json = JSON.stringify(v)
    } catch (error: unknown) {
      json = `JSON.stringify threw ${String(error)}`
    }
    out.push(String(v), (v as { stack?: unknown }).stack === undefined ? '' : String((v as { stack?: unknown }).stack), json ?? '')
    out.push(inspect(v, { depth: 10, showHidden: true, getters: true }))
    if (typeof v === 'object') {
      visit((v as { cause?: unknown }).cause, depth + 1)
      const errors = (v as { errors?: unknown }).errors
      if (Array.isArray(errors)) for (const e of errors) visit(e, depth + 1)
    }
  }
  visit(value, 0)
  return out.join('\n')
}
