/**
 * Test helpers: a token file in a temporary directory, and a fake Entra token endpoint on an undici
 * MockAgent that records every request and answers from a script.
 */
import { watch } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent } from 'undici'

export const AUTHORITY = 'https://login.microsoftonline.com'
export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
export const CLIENT_ID = '11111111-1111-4111-8111-111111111111'
export const TOKEN_PATH = `/${TENANT_ID}/oauth2/v2.0/token`
export const VAULT = 'https://vault.azure.net/.default'

/** A directory under the OS temp dir, removed by `remove()`. */
export interface TempDir {
  readonly path: string
  /** Writes `name` in the directory. */
  write(name: string, content: string): Promise<string>
  /** Writes `content` beside `name` and renames it over `name`, as atomic writers do. */
  replace(name: string, content: string): Promise<void>
  remove(): Promise<void>
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'keyless-wi-'))
  let n = 0
  return {
    path,
    async write(name, content) {
      const file = join(path, name)
      await writeFile(file, content)
      return file
    },
    async replace(name, content) {
      const temporary = join(path, `.${name}.${++n}.tmp`)
      await writeFile(temporary, content)
      await rename(temporary, join(path, name))
    },
    remove: () => rm(path, { recursive: true, force: true }),
  }
}

/**
 * The layout the kubelet's atomic writer gives a projected volume: `dir/token` →
 * `..data/token`, `..data` → `..<timestamp>`. `rotate()` swaps `..data` the way the kubelet does.
 */
export async function projectedVolume(dir: TempDir, name: string, content: string): Promise<{ path: string; rotate(content: string): Promise<void> }> {
  let version = 0
  const writeVersion = async (text: string): Promise<string> => {
    const versionDir = `..2026_11_30_00_00_0${++version}`
    await mkdir(join(dir.path, versionDir))
    await writeFile(join(dir.path, versionDir, name), text)
    return versionDir
  }
  await symlink(await writeVersion(content), join(dir.path, '..data'))
  await symlink(join('..data', name), join(dir.path, name))
  return {
    path: join(dir.path, name),
    async rotate(text) {
      const versionDir = await writeVersion(text)
      await symlink(versionDir, join(dir.path, '..data_tmp'))
      await rename(join(dir.path, '..data_tmp'), join(dir.path, '..data'))
    },
  }
}

/**
 * Runs `change` and resolves once a watch on `directory` has reported `name`. fs.watch delivers one
 * inotify event to every watcher of a directory in the same turn, so the provider's own watcher
 * has seen the change too by then: no polling, no sleep.
 */
export async function changed(directory: string, name: string, change: () => Promise<void>): Promise<void> {
  const watcher = watch(directory)
  try {
    const seen = new Promise<void>((resolve) => watcher.on('change', (_type, file) => file === name && resolve()))
    await change()
    await seen
  } finally {
    watcher.close()
  }
}

/** One request the fake endpoint received. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly form: URLSearchParams
}

/** One scripted answer. */
export interface FakeAnswer {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Fails the request at the transport level instead of answering. */
  readonly error?: Error
}

export interface FakeEntra {
  readonly agent: MockAgent
  readonly requests: RecordedRequest[]
  /** Answers for the next requests, in order; then a 200 with a fresh token. */
  enqueue(...answers: FakeAnswer[]): void
  close(): Promise<void>
}

/** A successful Entra v2 answer (protocols.md §8.2): `expires_in` is a number. */
export function tokenAnswer(n: number, extra: Record<string, unknown> = {}): FakeAnswer {
  return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `access-token-${n}`, ...extra } }
}

export function fakeEntra(origin: string = AUTHORITY): FakeEntra {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const requests: RecordedRequest[] = []
  const script: FakeAnswer[] = []
  agent
    .get(origin)
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      requests.push({
        method: options.method,
        path: options.path,
        headers: headerRecord(options.headers),
        form: new URLSearchParams(typeof options.body === 'string' ? options.body : ''),
      })
      const answer = script.shift() ?? tokenAnswer(requests.length)
      if (answer.error !== undefined) throw answer.error
      const data = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {})
      return { statusCode: answer.status, data, responseOptions: { headers: { 'content-type': 'application/json', ...answer.headers } } }
    })
    .persist()
  return {
    agent,
    requests,
    enqueue: (...answers) => script.push(...answers),
    close: () => agent.close(),
  }
}

function headerRecord(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) record[String(headers[i]).toLowerCase()] = String(headers[i + 1])
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) record[name.toLowerCase()] = String(value)
  }
  return record
}
