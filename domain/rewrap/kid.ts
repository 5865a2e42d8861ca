// Kids of wrapping key versions as the DEK store keeps them. Invariant: a stored kid is canonical — lower-case,
// `<scheme>://<host>[:port]/keys/<name>/<32-hex version>`, nothing after — so "which DEKs are behind" is an exact
// string match and a prefix scan, never a guess about case or trailing slashes (a DEK missed by the scan would let
// its version be retired under it: I3).

export interface VersionedKid {
  /** Canonical kid. */
  readonly kid: string;
  /** `<scheme>://<host>[:port]`, lower-case. */
  readonly origin: string;
  readonly vault: string;
  readonly key: string;
  readonly version: string;
}

// The vault is the first label of the host, as in Azure (`<vault>.vault.azure.net`, locally `<vault>.vault.localhost`).
const KID = /^(https?:\/\/(([^./:?#]+)[^/?#]*))\/keys\/([0-9a-z-]{1,127})\/([0-9a-f]{32})\/?$/i;

/** Parses a versioned key identifier; null for a versionless kid, an operation URI or anything else. */
export function parseVersionedKid(kid: string): VersionedKid | null {
  const m = KID.exec(kid.trim());
  if (!m?.[1] || !m[3] || !m[4] || !m[5]) return null;
  const origin = m[1].toLowerCase();
  const key = m[4].toLowerCase();
  const version = m[5].toLowerCase();
  return { kid: `${origin}/keys/${key}/${version}`, origin, vault: m[3].toLowerCase(), key, version };
}

/** The canonical form of a versioned kid; throws RangeError when it is not one (a caller bug, not data). */
export function canonicalKid(kid: string): string {
  const parsed = parseVersionedKid(kid);
  if (!parsed) throw new RangeError('not a versioned Key Vault key identifier');
  return parsed.kid;
}

/** `<origin>/keys/<name>/`: the prefix every version of the key shares. */
export function keyPrefixOf(kid: VersionedKid): string {
  return `${kid.origin}/keys/${kid.key}/`;
}

/** The same key version under another version id (same vault host and key name). */
export function withVersion(kid: VersionedKid, version: string): VersionedKid | null {
  return parseVersionedKid(`${kid.origin}/keys/${kid.key}/${version}`);
}

/** `vault/key/version`: how the retirement gate names a version (domain/retirement/gate.ts versionKey). */
export function versionKeyOfKid(kid: VersionedKid): string {
  return `${kid.vault}/${kid.key}/${kid.version}`;
}

/**
 * The smallest string greater than every string starting with `prefix` (for a `ge prefix and lt bound` range
 * query). Canonical kids are ASCII, so bumping the last character is enough.
 */
export function prefixUpperBound(prefix: string): string {
  if (prefix === '') throw new RangeError('empty prefix has no upper bound');
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export type DekPlacement = 'behind' | 'done' | 'other';

/** Where a DEK's (canonical) kid stands in a campaign from `fromKid` to `toKid`. */
export function placeDek(kid: string, fromKid: string, toKid: string): DekPlacement {
  if (kid === fromKid) return 'behind';
  if (kid === toKid) return 'done';
  return 'other';
}
