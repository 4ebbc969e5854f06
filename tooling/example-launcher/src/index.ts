/**
 * What the examples' launchers share: running the service as a child process with the
 * environment Azure would give it, and printing checked results. Private: never published.
 *
 * @module
 */
export { createReport, plural, type Report } from './report.js'
export { runChecks } from './run-checks.js'
export { START_TIMEOUT_MS, startServiceProcess, STOP_GRACE_MS, type ServiceProcess } from './service-process.js'
