/**
 * Mints RS256 access tokens with a key generated at start, and verifies them.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import type { JWK } from 'jose'
import type { ManagedIdentity } from '../emulator-options.js'
import type { EmulatorTokenClaims } from './token-claims.js'

/** Azurite's `--oauth basic` rejects any clock skew on `nbf` (reference/azurite.md §2); Entra backdates by 5 min. */
const NBF_BACKDATE_S = 300

/** A JSON Web Key Set with the emulator's one public key. */
export interface Jwks {
  readonly keys: readonly JWK[]
}

/** What one mint produced: the compact JWT and its times in epoch seconds. */
export interface MintedToken {
  readonly token: string
  readonly iat: number
  readonly nbf: number
  readonly exp: number
}

/** Options of {@link TokenSigner.verify}. */
export interface VerifyTokenOptions {
  /** Also require this `aud`. */
  readonly audience?: string | undefined
}

/** Mints and verifies the emulator's tokens; internal. */
export interface TokenSigner {
  readonly issuer: string
  readonly jwks: Jwks
  /** Mints a token for `identity` and `resource`; a negative `lifetimeS` gives an already expired one. */
  mint(identity: ManagedIdentity, resource: string, lifetimeS: number): Promise<MintedToken>
  verify(token: string, options?: VerifyTokenOptions): Promise<EmulatorTokenClaims>
}

/** Generates the signing key pair and returns the signer. */
export async function createTokenSigner(tenantId: string, now: () => number): Promise<TokenSigner> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const jwks: Jwks = Object.freeze({ keys: Object.freeze([Object.freeze({ ...publicJwk, kid, alg: 'RS256', use: 'sig' })]) })
  const issuer = `https://sts.windows.net/${tenantId}/`

  return {
    issuer,
    jwks,
    async mint(identity, resource, lifetimeS) {
      const iat = Math.floor(now() / 1000)
      const nbf = iat - NBF_BACKDATE_S
      const exp = iat + lifetimeS
      const token = await new SignJWT({
        tid: tenantId,
        oid: identity.objectId,
        appid: identity.clientId,
        xms_mirid: identity.resourceId,
        idtyp: 'app',
        ver: '1.0',
        uti: randomBytes(16).toString('base64url'),
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(issuer)
        .setSubject(identity.objectId)
        .setAudience(resource)
        .setIssuedAt(iat)
        .setNotBefore(nbf)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(privateKey)
      return { token, iat, nbf, exp }
    },
    async verify(token, options = {}) {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer,
        algorithms: ['RS256'],
        currentDate: new Date(now()),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      })
      return payload as unknown as EmulatorTokenClaims
    },
  }
}
