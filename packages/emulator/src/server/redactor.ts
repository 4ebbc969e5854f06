/**
 * Removes the emulator's secrets from text that came from a client and is about to be kept or
 * echoed (the request log, error descriptions).
 *
 * @module
 */

/** Replaces every occurrence of a secret with `[redacted]`; internal. */
export type Redactor = (text: string) => string

/** Marker that stands in for a removed secret. */
export const REDACTED = '[redacted]'

/**
 * Builds a redactor over `secrets()`, read on every call so rotated secrets are covered. A
 * client that sends a secret where it does not belong (a query key, the path, another form
 * field) must not find it in the log or in an answer.
 */
export function createRedactor(secrets: () => Iterable<string>): Redactor {
  return (text) => {
    let out = text
    for (const secret of secrets()) {
      if (secret !== '' && out.includes(secret)) out = out.replaceAll(secret, REDACTED)
    }
    return out
  }
}
