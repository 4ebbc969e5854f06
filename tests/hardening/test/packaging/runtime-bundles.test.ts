/**
 * What a service loads when it imports keyless: one module file per runtime package entry, built by
 * `keyless-bundle` (tooling/bundle), instead of one per source module (docs/benchmarks.md, "Module
 * files": keyless's share of the bench's Fastify server went from 48 files to 3).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KeylessError } from '@keyless/core'
import { imds } from '@keyless/imds'
import { describe, expect, it } from 'vitest'

const PACKAGES = fileURLToPath(new URL('../../../../packages/', import.meta.url))

interface Manifest {
  name: string
  exports: Record<string, { default: string }>
  scripts: { build: string }
}

const manifests: Array<{ dir: string; manifest: Manifest }> = readdirSync(PACKAGES).map((name) => ({
  dir: join(PACKAGES, name),
  manifest: JSON.parse(readFileSync(join(PACKAGES, name, 'package.json'), 'utf8')) as Manifest,
}))
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
