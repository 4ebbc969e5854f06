/**
 * The claims of a token the emulator mints.
 *
 * @module
 */

/** Claims of an emulator token: the v1 shape Azure uses for managed-identity tokens. */
export interface EmulatorTokenClaims {
  /** The requested resource, verbatim. */
  readonly aud: string
  /** `https://sts.windows.net/{tenant}/`. */
  readonly iss: string
  readonly tid: string
  /** Object id of the identity. */
  readonly oid: string
  /** Same as `oid`, as in real MI tokens. */
  readonly sub: string
  /** Client id of the identity. */
  readonly appid: string
  /** ARM resource id of the identity. */
  readonly xms_mirid: string
  readonly idtyp: 'app'
  readonly ver: '1.0'
  /** Epoch seconds. */
  readonly iat: number
  /** Epoch seconds, `iat` minus 5 min. */
  readonly nbf: number
  /** Epoch seconds. */
  readonly exp: number
  /** Unique per token (a GUID). */
  readonly jti: string
  /** Unique per token (base64url), as Entra's `uti`. */
  readonly uti: string
}
