/**
 * `bundlePackage()`: one ES module per entry point of a runtime package, built from its sources.
 *
 * Why runtime packages ship bundled (docs/benchmarks.md, "Module files"): a service loads one
 * file per package instead of one per source module (keyless's share of the bench's Fastify
 * server went from 48 files to 3), and its first token comes sooner in a cold process (about
 * 0.83×–0.86× of the time from the `import`). On Node 20 each ES module file is also one more
 * `FileHandle` through `EventEmitter.init` at start-up, which can leave that per-request function
 * megamorphic; bundling alone did not prevent that in the bench's keyless server.
 *
 * The package's `exports` are the one source of truth: every `default` condition that names
 * `./dist/X.js` is built from `./src/X.ts` into that file, with a source map back to the sources.
 * `tsc -b` emits only the declarations. Every import that is not relative stays an import (other
 * keyless packages included, so each class exists once in a process), and must be a Node builtin
 * or a declared dependency.
 *
 * @module
 */
import { builtinModules } from 'node:module'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rolldown } from 'rolldown'

/** One bundled entry point. */
export interface BundledEntry {
  /** The file written, absolute. */
  readonly file: string
  /** How many source modules it holds. */
  readonly modules: number
}

interface PackageJson {
  readonly name?: string
  readonly exports?: Record<string, { readonly default?: string } | string>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
}

const ENTRY = /^\.\/dist\/([\w-]+)\.js$/
const BUILTINS = new Set(builtinModules)

/** The package name a bare specifier imports from: `@scope/name` or `name`. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || BUILTINS.has(packageOf(specifier))
const isRelative = (specifier: string): boolean => specifier.startsWith('.') || specifier.startsWith('/')

/**
 * Bundles the package in `dir` as its `exports` describe, and resolves with what it wrote.
 * Rejects when an export is not a `./dist/X.js` file, or a bundle imports a package the
 * `package.json` does not declare.
 *
 * @example
 * ```ts
 * const [entry] = await bundlePackage('packages/core') // packages/core/dist/index.js
 * ```
 */
export async function bundlePackage(dir: string): Promise<BundledEntry[]> {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson
  const input: Record<string, string> = {}
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : target.default
    const name = file === undefined ? undefined : ENTRY.exec(file)?.[1]
    if (name === undefined) throw new Error(`${pkg.name}: export "${subpath}" must point at ./dist/<name>.js, not ${String(file)}`)
    input[name] = join(dir, 'src', `${name}.ts`)
  }
  if (Object.keys(input).length === 0) throw new Error(`${pkg.name}: package.json has no exports to bundle`)
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})])

  const bundle = await rolldown({
    input,
    cwd: dir,
    platform: 'node',
    tsconfig: join(dir, 'tsconfig.json'),
    external: (specifier) => !isRelative(specifier),
    logLevel: 'warn',
  })
  try {
    const { output } = await bundle.write({ dir: join(dir, 'dist'), format: 'esm', sourcemap: true, entryFileNames: '[name].js' })
    const chunks = output.filter((file) => file.type === 'chunk')
    // A chunk shared by two entries would be one more file to load; entries must not share modules.
    const shared = chunks.find((chunk) => !chunk.isEntry)
    if (shared !== undefined) throw new Error(`${pkg.name}: two entry points share ${shared.moduleIds.join(', ')}`)
    const entries: BundledEntry[] = []
    for (const chunk of chunks) {
      for (const specifier of [...chunk.imports, ...chunk.dynamicImports]) {
        if (isBuiltin(specifier) || declared.has(packageOf(specifier))) continue
        throw new Error(`${pkg.name}: ${chunk.fileName} imports ${specifier}, which package.json does not declare`)
      }
      entries.push({ file: join(dir, 'dist', chunk.fileName), modules: chunk.moduleIds.length })
    }
    return entries
  } finally {
    await bundle.close()
  }
}
