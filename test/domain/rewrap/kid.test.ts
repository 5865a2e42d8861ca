// Canonical kids: the DEK store and the campaign compare kids as strings, so every spelling of one version must
// become the same string, and nothing that is not a versioned kid may pass.
import { describe, expect, it } from 'vitest';
import { canonicalKid, keyPrefixOf, parseVersionedKid, placeDek, prefixUpperBound, versionKeyOfKid, withVersion } from '../../../domain/rewrap/kid.js';

const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';

describe('parseVersionedKid', () => {
  it('lower-cases host, key and version and drops a trailing slash', () => {
    expect(parseVersionedKid(`HTTPS://KV-A.Vault.Azure.Net/keys/DEK-Kek/${V1.toUpperCase()}/`)).toEqual({
      kid: `https://kv-a.vault.azure.net/keys/dek-kek/${V1}`,
      origin: 'https://kv-a.vault.azure.net',
      vault: 'kv-a',
      key: 'dek-kek',
      version: V1,
    });
  });

  it('keeps the port of a local emulator', () => {
    expect(parseVersionedKid(`https://kv-a.vault.localhost:54321/keys/k/${V1}`)?.origin).toBe('https://kv-a.vault.localhost:54321');
  });

  it.each([
    ['versionless', 'https://kv-a.vault.azure.net/keys/k'],
    ['an operation URI', `https://kv-a.vault.azure.net/keys/k/${V1}/unwrapkey`],
    ['a query', `https://kv-a.vault.azure.net/keys/k/${V1}?api-version=7.4`],
    ['a secret', `https://kv-a.vault.azure.net/secrets/k/${V1}`],
    ['a short version', 'https://kv-a.vault.azure.net/keys/k/abc'],
    ['not a URI', 'kv-a/k/v'],
  ])('refuses %s', (_name, kid) => {
    expect(parseVersionedKid(kid)).toBeNull();
    expect(() => canonicalKid(kid)).toThrow(RangeError);
  });
});

describe('prefixes and placement', () => {
  const k1 = parseVersionedKid(`https://kv-a.vault.azure.net/keys/k/${V1}`);
  if (!k1) throw new Error('parse');

  it('a key prefix covers every version of the key and nothing of a key whose name extends it', () => {
    const prefix = keyPrefixOf(k1);
    expect(prefix).toBe('https://kv-a.vault.azure.net/keys/k/');
    expect(`https://kv-a.vault.azure.net/keys/k/${V2}`.startsWith(prefix)).toBe(true);
    expect(`https://kv-a.vault.azure.net/keys/k2/${V2}`.startsWith(prefix)).toBe(false);
  });

  it('the upper bound of a prefix sorts after every string with it and before the next key', () => {
    const prefix = keyPrefixOf(k1);
    const bound = prefixUpperBound(prefix);
    expect(`${prefix}${'f'.repeat(32)}` < bound).toBe(true);
    expect(`https://kv-a.vault.azure.net/keys/k0/${V1}` >= bound).toBe(true);
  });

  it('withVersion and versionKeyOfKid name the same vault and key', () => {
    const k2 = withVersion(k1, V2.toUpperCase());
    expect(k2?.kid).toBe(`https://kv-a.vault.azure.net/keys/k/${V2}`);
    expect(k2 && versionKeyOfKid(k2)).toBe(`kv-a/k/${V2}`);
  });

  it('places a DEK behind, done or on another version', () => {
    const from = k1.kid;
    const to = `https://kv-a.vault.azure.net/keys/k/${V2}`;
    expect([placeDek(from, from, to), placeDek(to, from, to), placeDek(`https://kv-a.vault.azure.net/keys/k/${'2'.repeat(32)}`, from, to)]).toEqual(['behind', 'done', 'other']);
  });
});
