// RFC 7638 JWK thumbprints: the cross-vault identity of key material.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecThumbprint, rsaModulusBits, rsaThumbprint } from '../../../adapters/keyvault/thumbprint.js';

// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
const RFC_N =
  '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
const RFC_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('rsaThumbprint', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    expect(rsaThumbprint({ n: RFC_N, e: 'AQAB' })).toBe(RFC_THUMBPRINT);
  });

  it('reads the SDK byte form the same as the base64url form', () => {
    expect(rsaThumbprint({ n: new Uint8Array(Buffer.from(RFC_N, 'base64url')), e: new Uint8Array([1, 0, 1]) })).toBe(RFC_THUMBPRINT);
  });

  it('ignores a leading zero octet (Base64urlUInt is minimal)', () => {
    const padded = Buffer.concat([Buffer.from([0]), Buffer.from(RFC_N, 'base64url')]);
    expect(rsaThumbprint({ n: padded, e: Buffer.from([0, 1, 0, 1]) })).toBe(RFC_THUMBPRINT);
  });

  it('hashes the canonical JSON of a fresh key', () => {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const n = jwk.n ?? '';
    const e = jwk.e ?? '';
    // RFC 7638 §3.3: required members only, lexicographic order, no whitespace.
    const canonical = JSON.stringify({ e, kty: 'RSA', n });
    expect(rsaThumbprint({ n, e })).toBe(createHash('sha256').update(canonical).digest('base64url'));
  });
});

describe('ecThumbprint and sizes', () => {
  it('uses crv, kty "EC", x, y in that order', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    expect(ecThumbprint({ crv: 'P-256', x: jwk.x ?? '', y: jwk.y ?? '' })).toBe(createHash('sha256').update(canonical).digest('base64url'));
  });

  it('measures the modulus in bits', () => {
    expect(rsaModulusBits(RFC_N)).toBe(2048);
    for (const bits of [2048, 3072, 4096]) {
      const n = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }).n ?? '';
      expect(rsaModulusBits(Buffer.concat([Buffer.from([0]), Buffer.from(n, 'base64url')]))).toBe(bits);
    }
  });
});
