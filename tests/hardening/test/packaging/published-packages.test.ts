/**
 * What users install and load. Each runtime package ships one module file per entry, built by
 * `keyless-bundle` (tooling/bundle), instead of one per source module (docs/benchmarks.md, "Module
 * files": keyless's share of the bench's Fastify server went from 48 files to 3). Every published
 * package can be packed.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { KeylessError } from '@keyless/core'
import { imds } from '@keyless/imds'
import { describe, expect, it } from 'vitest'
import { PACKAGES, packagesIn, TOOLING } from '../support/workspace-packages.js'

const manifests = packagesIn(PACKAGES)
const bundled = manifests.filter(({ manifest }) => manifest.scripts.build.includes('keyless-bundle'))

describe('runtime packages ship one module per entry', () => {
  it('every package a service imports is bundled; the emulator, a test tool, is not', () => {
    expect(bundled.map(({ manifest }) => manifest.name).sort()).toEqual([
      '@keyless/app-service',
      '@keyless/core',
      '@keyless/express',
      '@keyless/fastify',
      '@keyless/imds',
      '@keyless/workload-identity',
      'keyless',
    ])
    expect(manifests.length - bundled.length).toBe(1)
  })

  it.each(bundled.flatMap(({ dir, manifest }) => Object.entries(manifest.exports).map(([subpath, target]) => ({ dir, name: manifest.name, subpath, file: target.default }))))(
    '$name export "$subpath" is one file with no relative import, its code mapped back to src',
    ({ dir, file }) => {
      const code = readFileSync(join(dir, file), 'utf8')
      const specifiers = [...code.matchAll(/\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2])
      expect(specifiers.filter((s) => s?.startsWith('.'))).toEqual([])
      if (code.trim() === 'export {};') return // a types-only entry (@keyless/express/augment): no code, no map
      const map = JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }
      expect(map.sources.length).toBeGreaterThan(0)
      for (const source of map.sources) expect(source).toMatch(/^(\.\.\/)+src\/.+\.ts$/)
    },
  )

  it.each(bundled.map(({ dir, manifest }) => ({ dir, name: manifest.name })))('$name exports what its src/index.ts exports', async ({ dir, name }) => {
    const shipped = (await import(name)) as Record<string, unknown>
    const source = (await import(join(dir, 'src', 'index.ts'))) as Record<string, unknown>
    expect(Object.keys(shipped).sort()).toEqual(Object.keys(source).sort())
  })

  it('leaves other keyless packages as imports, so a class exists once in a process', () => {
    // Had the bundler inlined @keyless/core into @keyless/imds, this error would be another KeylessError class.
    expect(() => imds({ clientId: 'a', objectId: 'b' })).toThrow(KeylessError)
  })
})

describe('published packages can be packed', () => {
  const versionOf = new Map([...manifests, ...packagesIn(TOOLING)].map(({ manifest }) => [manifest.name, manifest.version] as const))

  // `pnpm pack` and `pnpm publish` turn `workspace:^` into a range of the named package's
  // version, devDependencies included, and refuse when it has none (the private tooling packages
  // had none until @keyless/bundle became a devDependency of every runtime package).
  it.each(manifests.filter(({ manifest }) => manifest.private !== true).map(({ manifest }) => ({ name: manifest.name, manifest })))(
    '$name: every workspace dependency has a version to pack with',
    ({ manifest }) => {
      const workspace = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies })
        .filter(([, range]) => range.startsWith('workspace:'))
        .map(([name]) => name)
      expect(workspace.filter((name) => versionOf.get(name) === undefined)).toEqual([])
    },
  )
})
