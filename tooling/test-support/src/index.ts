/**
 * Helpers shared by keyless's own tests. Private: never published.
 *
 * @module
 */
export { settle, useEngineFakeTimers } from './engine-clock.js'
