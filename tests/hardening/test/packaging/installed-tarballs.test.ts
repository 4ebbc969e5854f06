/**
 * What npm users get: the packed tarballs, installed into a project outside the workspace, compile
 * and run a service (consumer/check.ts).
 *
 * `pnpm pack` does what publishing does to a package: it keeps only `files`, and turns
 * `workspace:` and `catalog:` ranges into versions. The project's `node_modules` is then laid out
 * as npm's hoisted install would lay it out, without the network: each tarball is extracted in
 * place, and only what each packed manifest declares (dependencies and peers) is linked from the
 * workspace's installed copies. So a file left out of `files`, a type that points into `src/`, or
 * an import of a package that no manifest declares fails here, where the workspace's own links
 * would hide it. (As in npm's hoisted layout, one package's dependency is visible to the others.)
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { TSC } from '@keyless/test-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manifestIn, PACKAGES, packagesIn, ROOT, type Manifest } from '../support/workspace-packages.js'

const execFileAsync = promisify(execFile)
const HARDENING = fileURLToPath(new URL('../../', import.meta.url))
const CONSUMER = fileURLToPath(new URL('./consumer/check.ts', import.meta.url))
/** What the project itself depends on, beside keyless: the frameworks and their types. */
const CONSUMER_DEPENDENCIES = ['express', 'fastify', '@types/express', '@types/node']

/**
 * Runs pnpm: the one running these tests when `pnpm test` started them (it sets `npm_execpath`),
 * else the one on PATH. Packing opens no network connection (strace counted no `connect`).
 */
async function pnpm(args: string[], cwd: string): Promise<string> {
  const path = process.env['npm_execpath']
  if (path !== undefined && /pnpm\.c?js$/.test(path)) return node([path, ...args], cwd)
  return run('pnpm', args, cwd)
}

/** Runs `node ...args` with the Node running these tests. */
const node = (args: string[], cwd: string): Promise<string> => run(process.execPath, args, cwd)

/** Runs `command`; resolves its stdout, or rejects with its stdout and stderr in the message. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 })).stdout
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error })
  }
}

/** Links `node_modules/<name>` to `source`, or checks that an existing link resolves there too. */
function link(nodeModules: string, name: string, source: string): void {
  const target = join(nodeModules, name)
  if (existsSync(target)) {
    if (realpathSync(target) !== realpathSync(source)) throw new Error(`${name}: two different copies wanted (${realpathSync(target)}, ${source})`)
    return
  }
  mkdirSync(dirname(target), { recursive: true })
  symlinkSync(realpathSync(source), target, 'dir')
}

/** Each workspace package under packages/ (every one is published), by name: its folder. */
const workspaceDirOf = new Map(packagesIn(PACKAGES).map(({ dir, manifest }) => [manifest.name, dir] as const))

let work: string
let app: string
let packed: Manifest[]
let compiled: string
let report: {
  fastify: { status: number; tokenLength: number }
  express: { status: number; tokenLength: number }
  sourceTokenLengths: Record<string, number>
  oneErrorClass: boolean
  resolved: Record<string, string>
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'keyless-tarballs-'))
  const tarballs = join(work, 'tarballs')
  app = join(work, 'app')
  const nodeModules = join(app, 'node_modules')
  mkdirSync(nodeModules, { recursive: true })

  const listed = JSON.parse(
    await pnpm(['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs, '--json'], ROOT),
  ) as Array<{ name: string; filename: string }>

  for (const { name, filename } of listed) {
    const dest = join(nodeModules, name)
    mkdirSync(dest, { recursive: true })
    await run('tar', ['-xzf', filename, '-C', dest, '--strip-components=1'], work)
  }
  packed = listed.map(({ name }) => manifestIn(join(nodeModules, name)))

  for (const manifest of packed) {
    const from = join(workspaceDirOf.get(manifest.name) as string, 'node_modules')
    const optional = manifest.peerDependenciesMeta ?? {}
    for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      if (workspaceDirOf.has(dependency)) continue // another tarball, extracted above
      if (optional[dependency]?.optional === true && !existsSync(join(from, dependency))) continue
      link(nodeModules, dependency, join(from, dependency))
    }
  }
  for (const dependency of CONSUMER_DEPENDENCIES) link(nodeModules, dependency, join(HARDENING, 'node_modules', dependency))

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', strict: true, types: ['node'], outDir: 'dist', rootDir: '.' },
      files: ['check.ts'],
    }),
  )
  copyFileSync(CONSUMER, join(app, 'check.ts'))
  compiled = await node([TSC, '-p', app], app)
  const lines = (await node([join(app, 'dist', 'check.js')], app)).trim().split('\n')
  report = JSON.parse(lines.at(-1) as string) as typeof report
}, 120_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

describe('the packed tarballs, installed outside the workspace', () => {
  it('every package packs, and no workspace: or catalog: range is left in a manifest', () => {
    expect(packed.map((m) => m.name).sort()).toEqual([...workspaceDirOf.keys()].sort())
    for (const manifest of packed) {
      const ranges = Object.values({ ...manifest.dependencies, ...manifest.peerDependencies })
      expect(ranges.filter((range) => /^(workspace|catalog):/.test(range)), manifest.name).toEqual([])
    }
  })

  it('a service written against them compiles with their packed types', () => {
    // tsc prints nothing when it succeeds; a missing .d.ts, a type pointing into src/ or a
    // looser option type (the unused @ts-expect-error) would have failed the set-up with its output.
    expect(compiled.trim()).toBe('')
  })

  it('it gets tokens from the emulator through the Fastify plugin and the Express binding', () => {
    expect(report.fastify.status).toBe(200)
    expect(report.fastify.tokenLength).toBeGreaterThan(0)
    expect(report.express.status).toBe(200)
    expect(report.express.tokenLength).toBeGreaterThan(0)
  })

  it('it gets tokens from the App Service and Workload Identity sources too', () => {
    expect(Object.keys(report.sourceTokenLengths).sort()).toEqual(['app-service', 'workload-identity'])
    for (const length of Object.values(report.sourceTokenLengths)) expect(length).toBeGreaterThan(0)
  })

  it("the emulator's command runs from its tarball (its bin shim finds the built CLI)", async () => {
    const { bin } = packed.find((manifest) => manifest.name === '@keyless/emulator') as Manifest
    const shim = bin?.['keyless-emulator']
    expect(shim).toBeDefined()
    const usage = await node([join(app, 'node_modules', '@keyless/emulator', shim as string), '--help'], app)
    expect(usage).toMatch(/^Usage: keyless-emulator /)
  })

  it("each package is loaded from its tarball's files, and KeylessError is one class across them", () => {
    const installed = realpathSync(join(app, 'node_modules')) + sep
    for (const [name, url] of Object.entries(report.resolved)) {
      const file = fileURLToPath(url)
      expect(file.startsWith(installed), `${name} → ${file}`).toBe(true)
      expect(file.endsWith(`${sep}dist${sep}index.js`), `${name} → ${file}`).toBe(true)
    }
    expect(report.oneErrorClass).toBe(true)
  })
})
