/**
 * An experiment beside the benchmark, not part of `pnpm bench`: does another build of keyless (a
 * git revision) serve the plugin-overhead route faster or slower than this checkout's build,
 * measured in one run? Two full runs of `pnpm bench`, one per build, cannot say: on this shared
 * VM two runs differ by more than the few per cent a change to the request path moves
 * (docs/plugin-gap.md). Here both builds' servers are up together and take the load in turns.
 *
 * The revision is extracted with `git archive` into a directory under the OS's temporary
 * directory, installed (`pnpm install --frozen-lockfile --prefer-offline`) and built (the bench
 * and what it depends on), once: a later run with the same revision reuses that directory. Its
 * `bench/dist/http-server.js` then loads its own packages. The revision must speak this build's
 * server protocol (`http-server.ts`'s `ServerTask` and its IPC requests).
 *
 * For each build and each variant (`http-server.ts`'s variants; by default `none`, the control,
 * which never calls keyless, then `connected` and `keyless`), `--processes` server processes
 * start in pairs, one of each build (which of the two starts first alternates from pair to pair),
 * each warmed as soon as it listens; then every server is settled as the bench settles its
 * servers, and loaded in `--cycles` cycles of one 1 s slice each, in an order that rotates from
 * cycle to cycle. The figures and their standard errors come from
 * `build-comparison.ts`, which compares the two processes of each pair; a ratio within two
 * standard errors of 1× is reported as not told apart.
 *
 * Usage: `pnpm bench:compare -- --rev <revision> [--framework fastify|express]
 * [--variants none,connected,keyless] [--processes 4] [--cycles 6]`, or after a build
 * `node bench/dist/compare-builds.js …`. About 4 minutes with the defaults, plus the other build's
 * install and build the first time.
 *
 * @module
 */
import './loopback-guard.js'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { compareBuilds, toldApart, type Build, type Estimate, type ServerSlices, type Spread } from './build-comparison.js'
import { startEmulatorProcess } from './emulator-client.js'
import { percent, ratio3 } from './format.js'
import { failedOf, HTTP_CONNECTIONS, HTTP_VARIANTS_OF, HTTP_WARM_UP_SEC, load, loadSlice, settle, startServerProcess, type ServerProcess } from './http-load.js'
import type { Framework, HttpVariant } from './http-server.js'
import { rotated } from './rotated.js'
import { sum } from './stats.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SLICE_SEC = 1
const USAGE = 'usage: compare-builds.js --rev <revision> [--framework fastify|express] [--variants none,connected,keyless] [--processes N ≥ 2] [--cycles N ≥ 1]'
/** The framework's variants that take one slice per server (`keyless-switch` takes two). */
const variantsOf = (framework: Framework): readonly HttpVariant[] => HTTP_VARIANTS_OF[framework].full.filter((v) => v !== 'keyless-switch')

interface Options {
  rev: string
  framework: Framework
  variants: HttpVariant[]
  processes: number
  cycles: number
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'), // `pnpm bench:compare -- …` passes the `--` on
    options: {
      rev: { type: 'string' },
      framework: { type: 'string', default: 'fastify' },
      variants: { type: 'string', default: 'none,connected,keyless' },
      processes: { type: 'string', default: '4' },
      cycles: { type: 'string', default: '6' },
    },
  })
  const { rev } = values
  if (rev === undefined) throw new Error(`--rev is required; ${USAGE}`)
  const framework = values.framework as Framework
  if (framework !== 'fastify' && framework !== 'express') throw new Error(`--framework takes fastify or express; ${USAGE}`)
  const variants = values.variants.split(',') as HttpVariant[]
  const unknown = variants.filter((v) => !variantsOf(framework).includes(v))
  if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; one of ${variantsOf(framework).join(', ')}`)
  const processes = Number(values.processes)
  const cycles = Number(values.cycles)
  if (!Number.isInteger(processes) || processes < 2) throw new Error(`--processes takes a whole number ≥ 2 (the spread needs two); ${USAGE}`)
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`--cycles takes a whole number ≥ 1; ${USAGE}`)
  return { rev, framework, variants, processes, cycles }
}

const run = (command: string, args: readonly string[], cwd: string): string => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()

/** The other build's `http-server.js`, extracted, installed and built on first use. */
function prepareOther(rev: string): { sha: string; server: string } {
  const sha = run('git', ['rev-parse', '--verify', `${rev}^{commit}`], ROOT)
  const dir = join(os.tmpdir(), `keyless-compare-${sha.slice(0, 12)}`)
  const server = join(dir, 'bench', 'dist', 'http-server.js')
  const built = join(dir, '.compare-builds-ready')
  if (existsSync(built) && existsSync(server)) return { sha, server }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  process.stderr.write(`compare-builds: extracting ${sha.slice(0, 12)} into ${dir}, then install and build\n`)
  execFileSync('sh', ['-c', `git archive --format=tar ${sha} | tar -x -C "${dir}"`], { cwd: ROOT, stdio: 'inherit' })
  const packageManager = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager
  const pnpm = ['-y', packageManager]
  run('npx', [...pnpm, 'install', '--frozen-lockfile', '--prefer-offline'], dir)
  run('npx', [...pnpm, 'exec', 'turbo', 'run', 'build', '--filter=bench...'], dir)
  writeFileSync(built, `${sha}\n`)
  return { sha, server }
}

interface Server extends ServerSlices {
  readonly process: ServerProcess
  readonly requestsPerSec: number[]
  readonly cpuMicrosPerRequest: number[]
  failed: number
}

const options = parseOptions(process.argv.slice(2))
const head = run('git', ['rev-parse', '--short=12', 'HEAD'], ROOT)
const dirty = run('git', ['status', '--porcelain'], ROOT) !== ''
const other = prepareOther(options.rev)
const emulator = await startEmulatorProcess()
const servers: Server[] = []
try {
  for (let p = 0; p < options.processes; p++) {
    for (const variant of options.variants) {
      // Each pair starts one after the other, the first of the two alternating from pair to pair.
      const builds: readonly Build[] = p % 2 === 0 ? ['this', 'other'] : ['other', 'this']
      for (const build of builds) {
        const task = { framework: options.framework, variant, emulatorUrl: emulator.url }
        const child = await startServerProcess(task, { server: build === 'other' ? other.server : undefined })
        const server: Server = { build, variant, process: child, requestsPerSec: [], cpuMicrosPerRequest: [], failed: 0 }
        servers.push(server)
        server.failed += failedOf(await load(child.url, HTTP_WARM_UP_SEC.full))
      }
    }
  }
  for (const server of servers) server.failed += (await settle(server.process, HTTP_WARM_UP_SEC.full)).failed
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    for (const server of rotated(servers, cycle)) {
      const slice = await loadSlice(server.process, SLICE_SEC)
      server.failed += slice.failed
      server.requestsPerSec.push(slice.requestsPerSec)
      server.cpuMicrosPerRequest.push(slice.serverCpuMicros / Math.max(1, slice.served))
    }
    process.stderr.write(`compare-builds: cycle ${cycle + 1} of ${options.cycles}\n`)
  }
} finally {
  await Promise.all(servers.map(async (server) => server.process.close()))
  await emulator.close()
}

const { arms, ratios } = compareBuilds(servers)
const spread = (s: Spread): string => `${ratio3(s.mean)} (sd ${percent(s.relativeSd)})`
const estimate = (e: Estimate): string =>
  `${ratio3(e.ratio)} ± ${e.standardError.toFixed(3)} (one standard error; ${toldApart(e) ? 'told apart' : 'not told apart by this run'})`
const buildName = (build: Build): string => (build === 'this' ? `this (${head}${dirty ? ', uncommitted changes' : ''})` : `other (${other.sha.slice(0, 12)})`)
const lines = [
  `# Two builds compared: ${options.framework}, ${new Date().toISOString()}`,
  '',
  `Node ${process.version} · ${os.cpus()[0]?.model ?? '?'} · ${os.cpus().length} cores · ${options.processes} processes per build and variant · settled · ${options.cycles} cycles of ${SLICE_SEC} s slices · ${HTTP_CONNECTIONS} connections`,
  '',
  'Relative figures: each slice ÷ the geometric mean of every server in its cycle; per process, the median over cycles; per arm, the mean over processes (sd: between processes). Processes are listed in the order they started; other ÷ this is the geometric mean of the ratios of the pairs (the k-th process of each build).',
  '',
  '| variant | build | req/s of each process | req/s, relative | server CPU µs per request, each process | CPU per request, relative |',
  '|---|---|---|--:|---|--:|',
  ...arms.map((arm) => {
    const rps = arm.requestsPerSec.map((v) => Math.round(v).toLocaleString('en-US')).join(', ')
    const cpu = arm.cpuMicrosPerRequest.map((v) => v.toFixed(1)).join(', ')
    return `| ${arm.variant} | ${buildName(arm.build)} | ${rps} | ${spread(arm.relativeRequestsPerSec)} | ${cpu} | ${spread(arm.relativeCpuPerRequest)} |`
  }),
  '',
  ...ratios.map((r) => `${r.variant}: other ÷ this, req/s ${estimate(r.requestsPerSec)}; CPU per request ${estimate(r.cpuMicrosPerRequest)}.`),
  ...(ratios.some((r) => r.variant === 'none')
    ? ['', '`none` never calls keyless, so its ratio is this run\'s control. Each ratio above is judged alone, and with several of them one lands beyond two standard errors by chance more often than one run in twenty: a difference that a second run does not repeat, or that shows while `none` does too, is not evidence.']
    : []),
  '',
  `Failed requests (errors, timeouts, non-2xx), warm-ups included: ${sum(servers.map((s) => s.failed))}.`,
]
console.log(lines.join('\n'))
