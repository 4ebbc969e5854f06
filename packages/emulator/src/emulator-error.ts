/**
 * The one error class of `@keyless/emulator`, with stable string codes.
 *
 * @module
 */

/**
 * Every code an {@link EmulatorError} can carry.
 *
 * - `ERR_EMULATOR_CONFIG`: an option of `startEmulator()` is invalid (thrown at start-up).
 * - `ERR_EMULATOR_LISTEN`: the port on 127.0.0.1 could not be bound (in use, or not permitted).
 * - `ERR_EMULATOR_FAULT`: a fault step (code API or `POST /_admin/faults`) is invalid.
 * - `ERR_EMULATOR_CLOSED`: the emulator was closed while the call was waiting.
 */
export type EmulatorErrorCode =
  | 'ERR_EMULATOR_CONFIG'
  | 'ERR_EMULATOR_LISTEN'
  | 'ERR_EMULATOR_FAULT'
  | 'ERR_EMULATOR_CLOSED'

/**
 * Thrown by the emulator's own API (never sent over HTTP). Match on `code`, not on the message.
 *
 * @example
 * ```ts
 * try {
 *   await startEmulator({ port: -1 })
 * } catch (error) {
 *   if (error instanceof EmulatorError && error.code === 'ERR_EMULATOR_CONFIG') console.error(error.message)
 * }
 * ```
 */
export class EmulatorError extends Error {
  /** The stable code; see {@link EmulatorErrorCode}. */
  readonly code: EmulatorErrorCode

  constructor(code: EmulatorErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'EmulatorError'
    this.code = code
  }
}
