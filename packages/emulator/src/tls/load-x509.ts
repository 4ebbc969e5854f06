/**
 * Loads `@peculiar/x509`, which needs the Reflect metadata API.
 *
 * @module
 */

type X509Module = typeof import('@peculiar/x509')

let loading: Promise<X509Module> | undefined

/**
 * Imports `@peculiar/x509` once, after `reflect-metadata`: its dependency tsyringe throws at import
 * without `Reflect.getMetadata`. `reflect-metadata` adds that API to the global `Reflect` of the
 * process that runs the emulator (a development tool), and leaves an existing one alone.
 */
export function loadX509(): Promise<X509Module> {
  loading ??= import('reflect-metadata').then(() => import('@peculiar/x509'))
  return loading
}
