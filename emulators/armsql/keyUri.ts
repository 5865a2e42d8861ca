// The emulator's own reading of a server key URI, written separately from the adapter's (adapters/armsql/keyIds.ts)
// on purpose: the emulator checks what the adapter computes, so they must not share the code.
// `https://<vault>.<host>/keys/<key>/<version>` → server key name `<vault>_<key>_<version>` (azure-formats.md §2.1).

export interface ServerKeyUri {
  readonly uri: string;
  readonly vault: string;
  readonly keyName: string;
  readonly version: string;
  /** `<vault>_<key>_<version>`, the only name Azure accepts for this key. */
  readonly serverKeyName: string;
}

const KEY_NAME = /^[0-9A-Za-z-]{1,127}$/;
const VERSION = /^[0-9A-Za-z]{1,64}$/;

/** Null when the URI is not a versioned Key Vault key id (Azure: 400 AzureKeyVaultMalformedVaultUri). */
export function parseServerKeyUri(uri: unknown): ServerKeyUri | null {
  if (typeof uri !== 'string') return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.search || url.hash) return null;
  const vault = url.hostname.split('.')[0] ?? '';
  const parts = url.pathname.split('/');
  const [empty, keys, keyName, version, ...rest] = parts;
  if (empty !== '' || keys?.toLowerCase() !== 'keys' || !keyName || !version || rest.length > 0) return null;
  if (!vault || !KEY_NAME.test(keyName) || !VERSION.test(version)) return null;
  return { uri, vault, keyName, version, serverKeyName: `${vault}_${keyName}_${version}` };
}

/** ARM names are case-insensitive. */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
