export { bundlePackage, type BundledEntry } from './bundle-package.js'
