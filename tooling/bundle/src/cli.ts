/**
 * `keyless-bundle`: bundles the package in the current directory (a runtime package's `build`
 * script runs it after `tsc -b`). Prints one line per entry; exits 1 with the reason on failure.
 *
 * @module
 */
import { relative } from 'node:path'
import { bundlePackage } from './bundle-package.js'

const dir = process.cwd()
try {
  for (const entry of await bundlePackage(dir)) {
    console.log(`keyless-bundle: ${relative(dir, entry.file)} (${entry.modules} ${entry.modules === 1 ? 'module' : 'modules'})`)
  }
} catch (error) {
  console.error(`keyless-bundle: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
