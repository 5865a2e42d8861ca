// RFC 7638 JWK thumbprint (SHA-256, base64url): the identity of a key's material across vaults (DESIGN.md §4.1).
// Identical material imported into two vaults has the same thumbprint although the version ids differ.
import { createHash } from 'node:crypto';

export type JwkBytes = string | Uint8Array;

/** base64url members → bytes; bytes pass through. */
function bytesOf(v: JwkBytes): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'base64url') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * JWK integers are Base64urlUInt: "the minimum number of octets needed" (RFC 7518 §2). Some producers keep a
 * leading 0x00 on the modulus (DER habit); stripping it keeps equal keys' thumbprints equal.
 */
function uint(v: JwkBytes): string {
  const b = bytesOf(v);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString('base64url');
}

function sha256Base64url(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/**
 * Thumbprint of an RSA public key. The input's `kty` is always "RSA" — also for Key Vault's `RSA-HSM` keys, whose
 * public JWK is a plain RSA key — so HSM and software copies of the same material match.
 * Members in lexicographic order, no whitespace (RFC 7638 §3.2).
 */
export function rsaThumbprint(key: { readonly n: JwkBytes; readonly e: JwkBytes }): string {
  return sha256Base64url(`{"e":"${uint(key.e)}","kty":"RSA","n":"${uint(key.n)}"}`);
}

/** Thumbprint of an EC public key (`kty` "EC" also for `EC-HSM`). Coordinates keep their fixed length. */
export function ecThumbprint(key: { readonly crv: string; readonly x: JwkBytes; readonly y: JwkBytes }): string {
  return sha256Base64url(`{"crv":"${key.crv}","kty":"EC","x":"${bytesOf(key.x).toString('base64url')}","y":"${bytesOf(key.y).toString('base64url')}"}`);
}

/** Modulus size in bits (leading zero octets ignored), e.g. 2048. */
export function rsaModulusBits(n: JwkBytes): number {
  const b = Buffer.from(uint(n), 'base64url');
  const top = b[0] ?? 0;
  return top === 0 ? 0 : (b.length - 1) * 8 + (32 - Math.clz32(top));
}
