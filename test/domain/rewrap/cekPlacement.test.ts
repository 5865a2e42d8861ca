// Where a Cosmos CEK stands in a rewrap: versions are compared by vault, key and version — not by the kid's text,
// which the application wrote in its own spelling.
import { describe, expect, it } from 'vitest';
import { placeCek, sameKeyVersion } from '../../../domain/rewrap/cekPlacement.js';
import { parseVersionedKid, type VersionedKid } from '../../../domain/rewrap/kid.js';

const V0 = '00000000000000000000000000000000';
const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';
const k = (version: string, key = 'cmk', host = 'kv-a.vault.azure.net'): string => `https://${host}/keys/${key}/${version}`;
const parsed = (kid: string): VersionedKid => parseVersionedKid(kid) as VersionedKid;

describe('placeCek', () => {
  const to = parsed(k(V2));
  it.each([
    ['on the target', k(V2), null, 'done'],
    ['on the target, other spelling', `HTTPS://KV-A.VAULT.AZURE.NET:443/keys/CMK/${V2.toUpperCase()}/`, null, 'done'],
    ['older version, no from', k(V1), null, 'behind'],
    ['any older version, no from', k(V0), null, 'behind'],
    ['exactly from', k(V1), k(V1), 'behind'],
    ['a version other than from', k(V0), k(V1), 'other'],
    ['another key in the same vault', k(V1, 'other'), null, 'other'],
    ['the same key name in another vault', k(V1, 'cmk', 'kv-b.vault.azure.net'), null, 'other'],
    ['versionless kid of this key', 'https://kv-a.vault.azure.net/keys/cmk', null, 'versionless'],
    ['versionless kid of another key', 'https://kv-a.vault.azure.net/keys/other/', null, 'other'],
    ['not a kid', 'not a url', null, 'unparsed'],
  ] as const)('%s → %s', (_name, kekKid, from, expected) => {
    expect(placeCek(kekKid, to, from === null ? null : parsed(from))).toBe(expected);
  });
});

describe('sameKeyVersion', () => {
  it.each([
    [k(V1), `https://KV-A.vault.azure.net/keys/CMK/${V1}`, true],
    [k(V1), k(V2), false],
    [k(V1), k(V1, 'cmk2'), false],
    [k(V1), 'https://kv-a.vault.azure.net/keys/cmk', false],
  ] as const)('%s vs %s → %s', (a, b, expected) => {
    expect(sameKeyVersion(a, b)).toBe(expected);
  });
});
