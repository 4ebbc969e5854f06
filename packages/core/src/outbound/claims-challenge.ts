/**
 * Reads a Continuous Access Evaluation claims challenge out of a `WWW-Authenticate` header.
 *
 * @module
 */

// RFC 9110 §11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y
const PARAM = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)/y
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y
const PARAM_AHEAD = /[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*=(?!=)/y
const SEPARATORS = /[ \t,]*/y

interface Challenge {
  readonly scheme: string
  readonly params: ReadonlyMap<string, string>
}

/**
 * Returns the claims (a JSON string) that a `401` asks for, or `undefined` when the header holds
 * no CAE claims challenge.
 *
 * A claims challenge is a `Bearer` challenge with `error="insufficient_claims"` and a `claims`
 * parameter holding base64 (standard or URL-safe alphabet) of a JSON object, as Azure services
 * send it (https://learn.microsoft.com/entra/identity-platform/claims-challenge). Anything else,
 * claims that do not decode to a JSON object included, gives `undefined`: the caller then treats
 * the 401 as final. Several challenges in one header, or one header per challenge, are read.
 *
 * @example
 * ```ts
 * const claims = parseClaimsChallenge(response.headers.get('www-authenticate'))
 * if (claims !== undefined) await provider.getToken(scope, { claims })
 * ```
 */
export function parseClaimsChallenge(header: string | readonly string[] | null | undefined): string | undefined {
  if (header === null || header === undefined) return undefined
  for (const value of typeof header === 'string' ? [header] : header) {
    for (const challenge of parseChallenges(value)) {
      if (challenge.scheme.toLowerCase() !== 'bearer') continue
      if (challenge.params.get('error')?.toLowerCase() !== 'insufficient_claims') continue
      const claims = decodeClaims(challenge.params.get('claims'))
      if (claims !== undefined) return claims
    }
  }
  return undefined
}

function decodeClaims(encoded: string | undefined): string | undefined {
  if (encoded === undefined || encoded === '') return undefined
  // Node's base64 decoder accepts the URL-safe alphabet as well.
  const json = Buffer.from(encoded, 'base64').toString('utf8')
  try {
    const parsed: unknown = JSON.parse(json)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? json : undefined
  } catch {
    return undefined
  }
}

function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = []
  let at = 0
  const match = (pattern: RegExp): RegExpExecArray | null => {
    pattern.lastIndex = at
    const found = pattern.exec(header)
    if (found !== null) at = pattern.lastIndex
    return found
  }
  while (at < header.length) {
    match(SEPARATORS)
    const scheme = match(TOKEN)
    if (scheme === null) break
    const params = new Map<string, string>()
    challenges.push({ scheme: scheme[0], params })
    match(/[ \t]*/y)
    if (!isParamAhead(header, at) && match(TOKEN68) !== null) continue
    for (;;) {
      const param = match(PARAM)
      if (param === null) break
      const [, key = '', raw = ''] = param
      params.set(key.toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw)
      match(SEPARATORS)
      // After a comma, `name=` continues this challenge; a bare token starts the next one.
      if (!isParamAhead(header, at)) break
    }
  }
  return challenges
}

function isParamAhead(header: string, at: number): boolean {
  PARAM_AHEAD.lastIndex = at
  return PARAM_AHEAD.test(header)
}
