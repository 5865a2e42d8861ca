// Where a Cosmos client encryption key stands in a rewrap towards `to`. CEKs name their wrapping key by the kid the
// application wrote (`keyWrapMetadata.value`), whose host spelling may differ from keysteward's (a custom domain, a
// trailing slash, upper case): versions are therefore compared by vault name, key name and version id — vault
// names are globally unique — never by string.
import { parseKeyUri } from '../keyRef.js';
import { parseVersionedKid, type VersionedKid } from './kid.js';

/**
 * - behind: wrapped by another version of the same key (or exactly `from`, when one is given) — to be rewrapped;
 * - done: already on `to`;
 * - other: wrapped by a different key, or (with `from`) by a version the campaign does not move — left alone;
 * - versionless: names this key without a version (the SDK accepts it and unwraps with whatever version is current,
 *   so it breaks at the next rotation and no version may be retired under it): never complete, never retire;
 * - unparsed: its kid names no key at all; it cannot be judged and is reported, never touched.
 */
export type CekPlacement = 'behind' | 'done' | 'other' | 'versionless' | 'unparsed';

export function placeCek(kekKid: string, to: VersionedKid, from: VersionedKid | null): CekPlacement {
  const k = parseVersionedKid(kekKid);
  if (!k) {
    const ref = parseKeyUri(kekKid);
    if (ref === null) return 'unparsed';
    return ref.vault === to.vault && ref.key === to.key && ref.version === null ? 'versionless' : 'other';
  }
  if (k.vault !== to.vault || k.key !== to.key) return 'other';
  if (k.version === to.version) return 'done';
  if (from !== null && k.version !== from.version) return 'other';
  return 'behind';
}

/** Same key version: vault, key and version compared (host spelling and case aside). */
export function sameKeyVersion(a: string, b: string): boolean {
  const x = parseVersionedKid(a);
  const y = parseVersionedKid(b);
  return x !== null && y !== null && x.vault === y.vault && x.key === y.key && x.version === y.version;
}
