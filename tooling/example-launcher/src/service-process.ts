/**
 * Runs the service the way a platform does: `node dist/server.js` as a child process that starts
 * with the environment Azure would give it and nothing else (no proxy variables, no secrets of
 * this shell), and waits for its `listening on <url>` line.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** How long the service may take to print its listening line. Warm-up included, it takes ~0.2 s. */
export const START_TIMEOUT_MS = 20_000
/** How long `stop()` waits after SIGTERM before SIGKILL. A clean shutdown takes a few ms. */
export const STOP_GRACE_MS = 5_000

/** The line server.ts prints once it accepts connections. Loopback only. */
const LISTENING = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/

/** A running service. */
export interface ServiceProcess {
  /** `http://127.0.0.1:PORT`, from its listening line. */
  readonly url: string
  /** SIGTERM (SIGKILL after {@link STOP_GRACE_MS}); resolves the exit code, or the signal that ended it. */
  stop(): Promise<number | NodeJS.Signals>
}

/**
 * Starts `node <entry>` with exactly `env`, echoes its output lines indented under
 * `  service │`, and resolves once it printed its listening line. Rejects if it exits first or
 * takes longer than {@link START_TIMEOUT_MS}. The child is killed if this process exits first.
 *
 * @example
 * ```ts
 * const service = await startServiceProcess('dist/server.js', { ...emulator.envFor('imds'), PORT: '0' })
 * await fetch(`${service.url}/ready`)
 * await service.stop() // 0
 * ```
 */
export async function startServiceProcess(entry: string, env: Readonly<Record<string, string>>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  // 'close' comes after the child's output is fully read, so its last lines print before this resolves.
  const closed = new Promise<number | NodeJS.Signals>((resolve) => child.once('close', (code, signal) => resolve(signal ?? code ?? 0)))
  createInterface({ input: child.stderr }).on('line', (line) => console.error(`  service │ ${line}`))
  const stdout = createInterface({ input: child.stdout })

  const stop = async (): Promise<number | NodeJS.Signals> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      await closed.finally(() => clearTimeout(timer))
    }
    process.removeListener('exit', killOnExit)
    return closed
  }

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service printed no listening line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
      stdout.on('line', (line) => {
        console.log(`  service │ ${line}`)
        const url = LISTENING.exec(line)?.[1]
        if (url !== undefined) {
          clearTimeout(timer)
          resolve(url)
        }
      })
      child.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      void closed.then((how) => {
        clearTimeout(timer)
        reject(new Error(`the service exited (${how}) before listening; its output is above`))
      })
    })
    return { url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
