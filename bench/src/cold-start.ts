/**
 * The cold-start scenario (`cold-start`): the time from a new process's start to its first token.
 * The emulator is up first; then a fresh Node process (`cold-child.js`) loads the subject, makes it
 * and awaits one `getToken`. One child per run and subject.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ColdReply } from './cold-child.js'
import type { EmulatorProcess } from './emulator-client.js'
import type { Contender } from './timed-subjects.js'

const CHILD = fileURLToPath(new URL('./cold-child.js', import.meta.url))

export interface ColdStartResult {
  kind: 'cold-start'
  /** ms from the child's process start to its first token. */
  firstTokenMs: number
  /** ms from just before the subject's import to its first token. */
  fromImportMs: number
  /** ms from the child's process start to its first line (Node's own start-up). */
  bootMs: number
  upstreamRequests: number
}

export async function coldStart(task: { subject: Contender }, emulator: EmulatorProcess): Promise<ColdStartResult> {
  const before = (await emulator.counters()).tokenRequests
  const child = fork(CHILD, [JSON.stringify({ subject: task.subject, url: emulator.url })], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const reply = await new Promise<ColdReply>((resolve, reject) => {
    child.once('message', (message: ColdReply) => resolve(message))
    child.once('exit', (code) => reject(new Error(`cold child exited (code ${code}) without a reply`)))
  })
  if (!reply.ok) throw new Error(`cold child: ${reply.error}`)
  return {
    kind: 'cold-start',
    firstTokenMs: reply.firstTokenMs,
    fromImportMs: reply.firstTokenMs - reply.bootMs,
    bootMs: reply.bootMs,
    upstreamRequests: (await emulator.counters()).tokenRequests - before,
  }
}
