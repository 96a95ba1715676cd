// Compact JWTs signed and checked with node:crypto: ES256 (a P-256 key, the signature as r||s)
// or RS256 (an RSA key), chosen by the key. Checking pins the algorithm to the key's, so a token
// claiming "none" or another algorithm is refused, and checks exp/nbf, issuer and audience.
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../../../lib/errors.js';

export interface Claims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  [k: string]: unknown;
}

/** The `use` claim of a refresh token (token-route.ts): never valid as a bearer token. */
export const REFRESH_USE = 'refresh';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class JwtKey {
  readonly alg: 'ES256' | 'RS256';
  private readonly pub: KeyObject;

  constructor(private readonly priv: KeyObject) {
    const t = priv.asymmetricKeyType;
    if (t === 'ec' && priv.asymmetricKeyDetails?.namedCurve === 'prime256v1') this.alg = 'ES256';
    else if (t === 'rsa') this.alg = 'RS256';
    else throw invalidArgument('token key: want a P-256 EC or an RSA private key (PEM)');
    this.pub = createPublicKey(priv);
  }

  static async load(path: string): Promise<JwtKey> {
    return new JwtKey(createPrivateKey(await readFile(path)));
  }

  private opts(key: KeyObject) {
    return this.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  }

  sign(claims: Omit<Claims, 'jti'> & { jti?: string }): string {
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: this.alg }));
    const payload = b64url(JSON.stringify({ jti: randomBytes(16).toString('hex'), ...claims }));
    const sig = sign('sha256', Buffer.from(`${header}.${payload}`), this.opts(this.priv));
    return `${header}.${payload}.${b64url(sig)}`;
  }

  /** The claims of a token this key signed, still valid, for this issuer and audience; else undefined. */
  verify(token: string, expect: { iss: string; aud: string }, now = Date.now() / 1000): Claims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: Claims;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: unknown };
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims;
    } catch {
      return undefined;
    }
    if (header.alg !== this.alg) return undefined;
    if (!verify('sha256', Buffer.from(`${h}.${p}`), this.opts(this.pub), Buffer.from(s, 'base64url'))) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp <= now) return undefined;
    if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return undefined; // a minute of clock skew
    const aud = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
    if (claims.iss !== expect.iss || !aud.includes(expect.aud)) return undefined;
    return claims;
  }
}
