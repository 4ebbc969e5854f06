/**
 * The part of autocannon 8's API the benchmark uses (the package ships no types, and the
 * benchmark adds no `@types` package for one call).
 *
 * @module
 */
declare module 'autocannon' {
  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
    /** Sampling interval, ms; the run ends at the first sample after `duration`. */
    sampleInt?: number
    /** Seconds before a request counts as timed out. */
    timeout?: number
  }
  export interface Histogram {
    average: number
    mean: number
    p50: number
    p99: number
    min: number
    max: number
    total: number
  }
  export interface Result {
    /** Seconds, to 10 ms. */
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    mismatches: number
    '2xx': number
    /** Per-second samples; `total` is every completed request. */
    requests: Histogram & { sent: number }
    /** Milliseconds. */
    latency: Histogram
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
