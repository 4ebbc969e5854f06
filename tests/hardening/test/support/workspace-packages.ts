/**
 * The workspace's own packages, read from their manifests, for the packaging tests.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
/** The published packages' folder. */
export const PACKAGES = join(ROOT, 'packages')
/** The private tooling packages' folder. */
export const TOOLING = join(ROOT, 'tooling')

/** What these tests read of a `package.json`, in the workspace or as packed. */
export interface Manifest {
  name: string
  version?: string
  private?: boolean
  exports: Record<string, { default: string }>
  scripts: { build: string }
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  bin?: Record<string, string>
}

/** Reads the `package.json` in `dir`. */
export const manifestIn = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest

/** The package in each folder of `root`, with its manifest. */
export const packagesIn = (root: string): Array<{ dir: string; manifest: Manifest }> =>
  readdirSync(root).map((name) => ({ dir: join(root, name), manifest: manifestIn(join(root, name)) }))
