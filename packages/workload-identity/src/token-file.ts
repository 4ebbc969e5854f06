/**
 * The projected service-account token file: read when a request needs it, kept in memory, read
 * again once it changes (protocols.md §8.1: the kubelet rotates it, and applications must re-read it).
 *
 * @module
 */
import { watch, type BigIntStats, type FSWatcher } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isKeylessError, KeylessError } from '@keyless/core'

/** Largest token file read: 64 KiB. A projected service-account token is 1–2 KiB. */
export const MAX_TOKEN_FILE_BYTES: number = 64 * 1024

const WRONG_FILE_ADVICE = 'check that tokenFilePath or AZURE_FEDERATED_TOKEN_FILE names the projected service-account token'

/** Options of {@link createTokenFile}. */
export interface TokenFileOptions {
  /** Absolute path of the file. */
  readonly path: string
  /** Least time between two `stat` checks of a cached content, in ms; 0 checks before every use. */
  readonly checkIntervalMs: number
  /** Goes into every error's `source` and starts its message. */
  readonly source: string
}

/** What {@link createTokenFile} returns. */
export interface TokenFile {
  /**
   * The assertion: the file's content, trimmed. Served from memory unless the file changed since
   * it was read; rejects with a `federated-token-file` KeylessError (not retryable) when the file
   * is missing, empty, unreadable or larger than {@link MAX_TOKEN_FILE_BYTES}.
   */
  read(): Promise<string>
  /** Stops watching and forgets the content. Idempotent. */
  close(): void
}

/** The content read, and what the file looked like then. */
interface Cached {
  readonly content: string
  /** dev, inode, size, mtime and ctime: a rotation changes at least the inode or the times. */
  readonly stamp: string
  /** The value of `generation` when the read started; a change since makes it stale. */
  readonly generation: number
  checkedAt: number
}

/**
 * Makes the reader of one token file. Nothing happens until the first `read()`: the file may
 * appear after the provider is made.
 *
 * Change detection, from the first successful read on:
 * - `fs.watch` on the file's **directory** marks the content stale on any event there. The kubelet
 *   writes projected volumes by swapping a `..data` symlink in that directory (the path is a
 *   symlink through it), so a watch on the file itself would keep watching the old inode and miss
 *   every rotation. The watcher is `persistent: false` (it never keeps the process alive); if it
 *   cannot be made (inotify limit, a file system without events) or fails, the next check remains.
 * - a `stat` (dev, inode, size, mtime, ctime) when a read comes at least `checkIntervalMs` after
 *   the last check, in case an event was missed. It runs only when a request needs the assertion,
 *   so an idle provider does no I/O, and no timer exists.
 * A failed read caches nothing: the next request reads the file again.
 *
 * The content stays in this closure: no error, event or returned object ever holds it.
 *
 * @example
 * ```ts
 * const file = createTokenFile({ path: '/var/run/secrets/azure/tokens/azure-identity-token', checkIntervalMs: 300_000, source: 'workload-identity' })
 * const assertion = await file.read()
 * file.close()
 * ```
 */
export function createTokenFile(options: TokenFileOptions): TokenFile {
  const { path, checkIntervalMs, source } = options
  let generation = 0
  let cached: Cached | undefined
  let loading: { readonly generation: number; readonly promise: Promise<string> } | undefined
  let watcher: FSWatcher | undefined
  let closed = false

  const invalidate = (): void => {
    generation++
  }

  const fail = (problem: string, advice: string, cause?: unknown): KeylessError =>
    new KeylessError('federated-token-file', `${source}: the federated token file ${path} ${problem}; ${advice}`, {
      source,
      retryable: false,
      ...(cause === undefined ? {} : { cause }),
    })

  function startWatching(): void {
    if (watcher !== undefined || closed) return
    try {
      const started = watch(dirname(path), { persistent: false }, () => invalidate())
      started.on('error', () => {
        // The directory went away or the watch broke: forget it; the next successful read watches again.
        started.close()
        if (watcher === started) watcher = undefined
        invalidate()
      })
      watcher = started
    } catch {
      // ENOSPC (inotify watch limit), ENOSYS, a file system without events: the stat check remains.
    }
  }

  async function load(at: number): Promise<string> {
    let handle: Awaited<ReturnType<typeof open>> | undefined
    try {
      handle = await open(path, 'r')
      const stats = await handle.stat({ bigint: true })
      if (!stats.isFile()) throw fail('is not a regular file', WRONG_FILE_ADVICE)
      if (stats.size > BigInt(MAX_TOKEN_FILE_BYTES)) throw fail(`is larger than ${MAX_TOKEN_FILE_BYTES} bytes`, WRONG_FILE_ADVICE)
      const content = (await handle.readFile('utf8')).trim()
      if (content === '') throw fail('is empty', WRONG_FILE_ADVICE)
      if (!closed) {
        cached = { content, stamp: stampOf(stats), generation: at, checkedAt: Date.now() }
        startWatching()
      }
      return content
    } catch (error: unknown) {
      if (isKeylessError(error)) throw error
      const code = errnoOf(error)
      const quoted = code === undefined ? '' : ` (${code})`
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw fail(
          `is missing${quoted}`,
          'check that the pod has the label azure.workload.identity/use: "true" and a service account annotated with azure.workload.identity/client-id',
          error,
        )
      }
      throw fail(`is unreadable${quoted}`, "check the file's permissions: the container's user must be able to read it", error)
    } finally {
      await handle?.close().catch(() => undefined)
    }
  }

  /** True when the cached content is current: no watch event since, and the periodic stat agrees. */
  async function isCurrent(entry: Cached): Promise<boolean> {
    if (entry.generation !== generation) return false
    if (Date.now() - entry.checkedAt < checkIntervalMs) return true
    const stamp = await stat(path, { bigint: true }).then(stampOf, () => undefined)
    if (entry.generation !== generation) return false
    if (stamp !== entry.stamp) {
      invalidate() // so a read started before the change is not shared
      return false
    }
    entry.checkedAt = Date.now()
    return true
  }

  return {
    async read(): Promise<string> {
      const entry = cached
      if (entry !== undefined && (await isCurrent(entry))) return entry.content
      if (loading?.generation === generation) return loading.promise // concurrent fetches share one read
      const at = generation
      const promise = load(at).finally(() => {
        if (loading?.promise === promise) loading = undefined
      })
      loading = { generation: at, promise }
      return promise
    },

    close(): void {
      closed = true
      cached = undefined
      watcher?.close()
      watcher = undefined
    },
  }
}

function stampOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`
}

function errnoOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code) ? code : undefined
}
