import { describe, expect, it } from 'vitest'
import { parseClaimsChallenge } from '../../src/outbound/claims-challenge.js'
import { CLAIMS, CLAIMS_CHALLENGE } from './outbound-fixtures.js'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('parseClaimsChallenge()', () => {
  it('decodes the claims of an Azure CAE challenge', () => {
    expect(parseClaimsChallenge(CLAIMS_CHALLENGE)).toBe(CLAIMS)
  })

  it.each([
    ['URL-safe base64 without padding', `Bearer error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString('base64url')}"`],
    ['token (unquoted) values and other case', `bearer Error=insufficient_claims, CLAIMS=${b64(CLAIMS)}`],
    ['the challenge after another one', `Basic realm="x", Bearer realm="", error="insufficient_claims", claims="${b64(CLAIMS)}"`],
    ['the challenge after a token68 one', `Negotiate abc123==, Bearer error="insufficient_claims", claims="${b64(CLAIMS)}"`],
    ['the challenge before another one', `Bearer error="insufficient_claims", claims="${b64(CLAIMS)}", PoP nonce="n"`],
    ['escaped quotes in another parameter', `Bearer realm="a \\"quoted\\" realm", error="insufficient_claims", claims="${b64(CLAIMS)}"`],
    ['one header per challenge', ['Basic realm="x"', `Bearer error="insufficient_claims", claims="${b64(CLAIMS)}"`]],
  ])('reads %s', (_name, header) => {
    expect(parseClaimsChallenge(header)).toBe(CLAIMS)
  })

  it.each([
    ['no header', undefined],
    ['null', null],
    ['an empty header', ''],
    ['a challenge without claims', 'Bearer realm="", error="invalid_token"'],
    ['claims without insufficient_claims', `Bearer error="invalid_token", claims="${b64(CLAIMS)}"`],
    ['claims under another scheme', `PoP error="insufficient_claims", claims="${b64(CLAIMS)}"`],
    ['claims of another challenge than the error', `Bearer error="insufficient_claims", PoP claims="${b64(CLAIMS)}"`],
    ['empty claims', 'Bearer error="insufficient_claims", claims=""'],
    ['claims that are not JSON', `Bearer error="insufficient_claims", claims="${b64('not json')}"`],
    ['claims that are a JSON array', `Bearer error="insufficient_claims", claims="${b64('[1]')}"`],
    ['garbage', '"",,=="=\\'],
  ])('gives undefined for %s', (_name, header) => {
    expect(parseClaimsChallenge(header)).toBeUndefined()
  })
})
