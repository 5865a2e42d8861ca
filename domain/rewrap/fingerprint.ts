// What a DEK row may hold about its plaintext: base64url SHA-256 (43 characters) and nothing else (reliability.md
// R-9, I8). Hashing is done where the plaintext is (app/rewrap); the domain only knows the shape.

const FINGERPRINT = /^[A-Za-z0-9_-]{43}$/;

export function isFingerprint(value: string): boolean {
  return FINGERPRINT.test(value);
}

/** The wrap algorithms the DEK store and the campaign accept (the emulator and node:crypto both do RSA-OAEP). */
export type WrapAlgorithm = 'RSA-OAEP' | 'RSA-OAEP-256';

export function isWrapAlgorithm(alg: string): alg is WrapAlgorithm {
  return alg === 'RSA-OAEP' || alg === 'RSA-OAEP-256';
}
