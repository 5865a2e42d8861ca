// Key references parsed once from a Key Vault kid / request URI, or from an ARM server-key name.
// Invariant: vault and key names are lower-cased (Key Vault names are case-insensitive), versions are
// lower-cased hex; so two refs to the same object compare equal with ===.

export interface KeyRef {
  readonly vault: string;
  readonly key: string;
}

export interface KeyVersionRef extends KeyRef {
  /** null when the URI names the key without a version (the "current" version). */
  readonly version: string | null;
}

// scheme://<vault>[.domain][:port]/<keys|deletedkeys>/<name>[/<third segment>]. Parsed with one regex rather
// than `new URL`: this runs once per audit record on the ingestion hot path (DESIGN.md §7).
const KEY_URI = /^https?:\/\/([^./:?#]+)[^/?#]*\/(?:keys|deletedkeys)\/([^/?#]+)(?:\/([^/?#]*))?/i;
const VERSION = /^[0-9a-f]{32}$/i;

/**
 * Parses `https://<vault>.vault.azure.net/keys/<name>[/<version>][/<op>][?query]` (also managed HSM,
 * sovereign clouds and `deletedkeys/<name>`). Returns null for anything that is not a key URI
 * (vault URIs, secrets, garbage). Never throws.
 */
export function parseKeyUri(uri: string): KeyVersionRef | null {
  const m = KEY_URI.exec(uri);
  if (!m?.[1] || !m[2]) return null;
  const third = m[3];
  // A 32-hex segment is a version; anything else (wrapkey, unwrapkey, rotate, versions, backup...) is an operation.
  const version = third && VERSION.test(third) ? third.toLowerCase() : null;
  return { vault: m[1].toLowerCase(), key: m[2].toLowerCase(), version };
}

/** Vault name from a vault URI (`https://kv-x.vault.azure.net/`) or a vault ARM resource id. */
export function vaultNameFrom(uriOrResourceId: string): string | null {
  const arm = /\/providers\/microsoft\.keyvault\/(?:vaults|managedhsms)\/([^/?#]+)/i.exec(uriOrResourceId);
  if (arm?.[1]) return arm[1].toLowerCase();
  try {
    const host = new URL(uriOrResourceId).hostname;
    return host.split('.')[0]?.toLowerCase() || null;
  } catch {
    return null;
  }
}

/** ARM SQL server key names follow `{vaultName}_{keyName}_{keyVersion}`; `ServiceManaged` is the service key. */
export function parseServerKeyName(name: string): KeyVersionRef | null {
  const m = /^([0-9a-z-]+)_(.+)_([0-9a-f]{32})$/i.exec(name);
  if (!m?.[1] || !m[2] || !m[3]) return null;
  return { vault: m[1].toLowerCase(), key: m[2].toLowerCase(), version: m[3].toLowerCase() };
}

export function keyRefString(ref: KeyRef): string {
  return `${ref.vault}/${ref.key}`;
}
