/**
 * The fault matrix as the markdown lines of docs/reliability.md: a header naming each column's
 * test file, then one line per row whose cells are the names of their tests after `<fault>: `.
 */
import { MATRIX_COLUMNS } from './fault-columns.js'
import { cellText, FAULT_ROWS } from './fault-rows.js'

/** The table, line by line, exactly as the doc must hold it. */
export function matrixTableLines(): string[] {
  const header = `| fault | injected as | ${MATRIX_COLUMNS.map((column) => `${column.title}: \`${column.file}\``).join(' | ')} |`
  const rule = `|${' --- |'.repeat(MATRIX_COLUMNS.length + 2)}`
  const rows = FAULT_ROWS.map(
    (row) => `| ${row.fault} | ${row.inject} | ${MATRIX_COLUMNS.map((column) => cellText(row.expect[column.id], column.facts)).join(' | ')} |`,
  )
  return [header, rule, ...rows]
}
