import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bundlePackage } from '../src/bundle-package.js'

/** A package written to a temporary directory: `package.json` fields and `src/` files. */
async function writePackage(dir: string, pkg: object, sources: Record<string, string>): Promise<void> {
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module', ...pkg }))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2023', module: 'NodeNext', strict: true } }))
  for (const [file, text] of Object.entries(sources)) {
    await mkdir(dirname(join(dir, 'src', file)), { recursive: true })
    await writeFile(join(dir, 'src', file), text)
  }
}

/** The specifiers of a bundle's static imports and re-exports (rolldown writes each as `from "x"`). */
const importsOf = (code: string): string[] => [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => m[1] as string)

describe('bundlePackage', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyless-bundle-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes one module per export, with relative imports inlined and packages left as imports', async () => {
    await writePackage(
      dir,
      {
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './extra': { default: './dist/extra.js' } },
        dependencies: { 'fixture-dep': '1.0.0' },
      },
      {
        'index.ts': `import { twice } from './math/twice.js'\nexport { label } from './label.js'\nexport const four: number = twice(2)\nexport async function later(): Promise<unknown> { return import('fixture-dep') }\n`,
        'math/twice.ts': `import { join } from 'node:path'\nexport const twice = (n: number): number => join('a', 'b').length * 0 + n * 2\n`,
        'label.ts': `export const label: string = 'fixture'\n`,
        'extra.ts': `import { format } from 'node:util'\nexport const extra = (): string => format('%s', 'extra')\n`,
      },
    )
    const entries = await bundlePackage(dir)

    expect(entries.map((e) => e.file).sort()).toEqual([join(dir, 'dist', 'extra.js'), join(dir, 'dist', 'index.js')])
    expect(entries.find((e) => e.file.endsWith('index.js'))?.modules).toBe(3)
    expect((await readdir(join(dir, 'dist'))).sort()).toEqual(['extra.js', 'extra.js.map', 'index.js', 'index.js.map'])
    const index = await readFile(join(dir, 'dist', 'index.js'), 'utf8')
    expect(importsOf(index)).toEqual(['node:path'])
    expect(index).toContain('import("fixture-dep")')
    const loaded = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Record<string, unknown>
    expect(Object.keys(loaded).sort()).toEqual(['four', 'label', 'later'])
    expect(loaded['four']).toBe(4)
    const map = JSON.parse(await readFile(join(dir, 'dist', 'index.js.map'), 'utf8')) as { sources: string[] }
    expect(map.sources.map((s) => s.replace(/^(\.\.\/)+/, '')).sort()).toEqual(['src/index.ts', 'src/label.ts', 'src/math/twice.ts'])
  })

  it('rejects a bundle that imports a package the package.json does not declare', async () => {
    await writePackage(dir, { exports: { '.': './dist/index.js' }, dependencies: { declared: '1.0.0' } }, {
      'index.ts': `export { x } from 'undeclared-dep/sub'\n`,
    })
    await expect(bundlePackage(dir)).rejects.toThrow('fixture: index.js imports undeclared-dep/sub, which package.json does not declare')
  })

  it('accepts a peer dependency and a scoped package', async () => {
    await writePackage(dir, { exports: { '.': './dist/index.js' }, peerDependencies: { '@scope/peer': '1' } }, {
      'index.ts': `export { y } from '@scope/peer/deep'\n`,
    })
    await expect(bundlePackage(dir)).resolves.toHaveLength(1)
  })

  it('rejects two entries that share a module, which would be one more file to load', async () => {
    await writePackage(dir, { exports: { '.': './dist/index.js', './b': './dist/b.js' } }, {
      'index.ts': `export { shared } from './shared.js'\n`,
      'b.ts': `export { shared as alsoShared } from './shared.js'\n`,
      'shared.ts': `export const shared = {}\n`,
    })
    await expect(bundlePackage(dir)).rejects.toThrow(/fixture: two entry points share .*shared\.ts/)
  })

  it('rejects an export that is not a ./dist/<name>.js file', async () => {
    await writePackage(dir, { exports: { '.': './lib/index.js' } }, { 'index.ts': 'export {}\n' })
    await expect(bundlePackage(dir)).rejects.toThrow('fixture: export "." must point at ./dist/<name>.js, not ./lib/index.js')
    await writePackage(dir, {}, { 'index.ts': 'export {}\n' })
    await expect(bundlePackage(dir)).rejects.toThrow('fixture: package.json has no exports to bundle')
  })
})
