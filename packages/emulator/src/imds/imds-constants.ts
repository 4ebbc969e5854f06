/**
 * Fixed facts of the IMDS token protocol (protocols.md §2).
 *
 * @module
 */

/** The IMDS token path; also accepted with a trailing `/`, a leading `//` and in any case. */
export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token'

/** The first api-version with `/metadata/identity`; later dates are accepted too. */
export const IMDS_MIN_API_VERSION = '2018-02-01'

/** What IMDS lists in `newest-versions` when api-version is missing or unusable. */
export const IMDS_NEWEST_VERSIONS: readonly string[] = Object.freeze(['2025-04-07', '2024-07-17', '2024-03-15'])

/** Token requests per rolling second before 429, with limits on (protocols.md §2, Throttling). */
export const IMDS_MAX_REQUESTS_PER_SECOND = 20

/** Token requests in flight at once before 429, with limits on. */
export const IMDS_MAX_CONCURRENT_REQUESTS = 5
