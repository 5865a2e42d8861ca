// Names ARM needs, computed from what the rotation knows: the server's resource id → subscription, resource group
// and server name; a Key Vault key id → the server key name `<vault>_<key>_<version>` (azure-formats.md §2.1),
// the vault being the first label of the kid's host, as in Azure (and in the emulators' `<vault>.vault.localhost`).
import { ArmSqlError } from './errors.js';

export interface SqlServerRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

const SERVER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)\/?$/i;

export function parseServerId(server: string): SqlServerRef {
  const m = SERVER_ID.exec(server.trim());
  if (!m?.[1] || !m[2] || !m[3]) throw invalid(server, 'parse server id', 'InvalidServerId', 'not a Microsoft.Sql/servers resource id');
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}

/** `<vault>_<key>_<version>`; throws for a versionless or malformed kid (a server key names one version). */
export function serverKeyNameOf(kid: string, server = ''): string {
  let url: URL | null = null;
  try {
    url = new URL(kid);
  } catch {
    url = null;
  }
  const [empty, keys, key, version, ...rest] = url?.pathname.split('/') ?? [];
  const vault = url?.hostname.split('.')[0];
  if (!url || url.protocol !== 'https:' || empty !== '' || keys?.toLowerCase() !== 'keys' || !key || !version || rest.length > 0 || !vault) {
    throw invalid(server, 'name server key', 'InvalidKeyId', 'not a versioned Key Vault key id');
  }
  return `${vault}_${key}_${version}`;
}

/** Key ids compare case-insensitively (ARM and Key Vault names are), ignoring a trailing slash. */
export function sameKid(a: string, b: string): boolean {
  const norm = (s: string): string => s.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

function invalid(server: string, operation: string, code: string, detail: string): ArmSqlError {
  return new ArmSqlError({ server, operation }, { status: null, code, retryable: false, detail, via: 'input' });
}
