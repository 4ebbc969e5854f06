/**
 * Names for the addresses of V8's generated code, from the map a Node process writes with
 * `--perf-basic-prof` (`/tmp/perf-PID.map`: one `start size name` line per code object, in the
 * order V8 made them). Valgrind names JIT code by address only (`???:0x…`); this turns those
 * addresses back into JavaScript functions for `bench:instructions --functions`.
 *
 * @module
 */
import { readFileSync } from 'node:fs'

/** Where V8 writes a process's map (the path is fixed in V8); the caller deletes it. */
export const perfMapPath = (pid: number): string => `/tmp/perf-${pid}.map`

/** One code object of the map. */
interface CodeRange {
  start: number
  end: number
  name: string
}

/**
 * Reads process `pid`'s map, and returns a lookup from a code address to the name of the
 * function whose code holds it (the latest such code object, as V8 reuses freed code space),
 * without V8's tier mark (`*` optimized, `^` baseline, `~` interpreted, `+` Maglev), so that one
 * function counts once whatever tier ran it. An address no code object holds keeps its hex form.
 *
 * @example
 * ```ts
 * const nameOf = readJitNames(server.pid)
 * nameOf(0xd1477c0) // 'parserOnIncoming node:_http_server:1026:26'
 * ```
 */
export function readJitNames(pid: number): (address: number) => string {
  const ranges: CodeRange[] = []
  for (const line of readFileSync(perfMapPath(pid), 'utf8').split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (match === null) continue
    const start = Number.parseInt(match[1] as string, 16)
    const name = (match[3] as string).replace(/^JS:[*^~+]?/, '')
    ranges.push({ start, end: start + Number.parseInt(match[2] as string, 16), name: name.startsWith(' ') ? `(anonymous)${name}` : name })
  }
  return (address) => {
    for (let i = ranges.length - 1; i >= 0; i--) {
      const range = ranges[i] as CodeRange
      if (address >= range.start && address < range.end) return range.name
    }
    return `0x${address.toString(16)}`
  }
}
