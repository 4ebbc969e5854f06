/**
 * Docs: every TypeScript block in the READMEs compiles against the packages as built, with the
 * Azure SDK clients they show. A renamed option, a changed return type or a wrong import in a
 * README fails here. The snippets are type-checked, never run: they name real Azure hosts.
 *
 * A block that continues an earlier one (it uses a `provider` or an `emulator` made above it)
 * gets the imports or declarations it leans on first, listed in CONTEXT; every other block
 * compiles as it stands.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { typecheck } from '@keyless/test-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGES, ROOT } from '../support/workspace-packages.js'

/** What a continuing block needs from the blocks before it, by README and block number (from 1). */
const CONTEXT: Record<string, string> = {
  'packages/core/README.md#1': 'declare const log: { warn(value: unknown): void }\ndeclare const vaultUrl: string',
  'packages/core/README.md#2': "import type { TokenProvider } from '@keyless/core'\ndeclare const provider: TokenProvider",
  'packages/emulator/README.md#2': "import { startEmulator } from '@keyless/emulator'",
  'packages/emulator/README.md#3':
    "import type { Emulator, FaultStep } from '@keyless/emulator'\ndeclare const emulator: Emulator\ndeclare const steps: FaultStep[]\ndeclare const step: FaultStep",
  'packages/express/README.md#2': "import express from 'express'\nconst app = express()",
  'packages/keyless/README.md#2': "import { appService, chain, imds, workloadIdentity } from 'keyless'",
}

interface Snippet {
  /** `<README path>#<n>`. */
  readonly name: string
  readonly code: string
}

function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(join(ROOT, readme), 'utf8')
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match, i) => ({ name: `${readme}#${i + 1}`, code: match[1] ?? '' }))
}

const READMES = ['README.md', ...readdirSync(PACKAGES).map((dir) => `packages/${dir}/README.md`)].filter((readme) => existsSync(join(ROOT, readme)))
const SNIPPETS = READMES.flatMap(snippetsOf)

let dir = ''
let diagnostics = ''
/** tsc's error lines (each diagnostic's first line). */
const errors = (): string[] => diagnostics.split('\n').filter((line) => line.includes('error TS'))

beforeAll(async () => {
  // Outside the repository, with this project's node_modules linked in: the snippets import the
  // packages by name, as a user's code does.
  dir = mkdtempSync(join(tmpdir(), 'keyless-readme-snippets-'))
  symlinkSync(join(ROOT, 'tests', 'hardening', 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  SNIPPETS.forEach((snippet, i) => {
    const context = CONTEXT[snippet.name] ?? ''
    writeFileSync(join(dir, `snippet-${i}.ts`), `// ${snippet.name}\n${context}\n${snippet.code}\nexport {}\n`)
  })
  const compilerOptions = {
    target: 'ES2023',
    lib: ['ES2023', 'ESNext.Disposable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    noEmit: true,
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }))
  diagnostics = await typecheck(dir)
}, 120_000)

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

describe('README snippets', () => {
  it('finds the blocks of the root README and of every package README', () => {
    expect(SNIPPETS.length).toBeGreaterThanOrEqual(READMES.length)
    expect(READMES).toContain('packages/fastify/README.md')
    expect(Object.keys(CONTEXT).every((name) => SNIPPETS.some((snippet) => snippet.name === name))).toBe(true)
  })

  // tsc names each file relative to the directory it ran in, so a diagnostic is matched by file name.
  it.each(SNIPPETS.map((snippet, i) => [snippet.name, i] as const))('%s compiles', (_name, i) => {
    expect(errors().filter((line) => line.includes(`snippet-${i}.ts(`))).toEqual([])
  })

  it('leaves no diagnostic outside the snippets', () => {
    expect(errors().filter((line) => !/snippet-\d+\.ts\(/.test(line))).toEqual([])
  })
})
