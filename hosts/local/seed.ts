// Seeds the emulated vaults for the local demo: the same RSA material imported into every member vault of a
// protector (as a geo-replicated TDE protector needs), member identities granted get/wrapKey/unwrapKey, and the
// service identity allowed to read versions for reconcile. Private key parts exist only inside this function.
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { KeyClient, type JsonWebKey as SdkJsonWebKey } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import type { Estate } from '../../domain/estate/model.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../composition.js';

/** The operator identity of the local demo: it creates and imports keys. */
export const LOCAL_ADMIN = { oid: '0ad0ad00-0000-4000-8000-0000000ad0ad' };

const TRUSTED: Record<string, string> = { 'sql-tde': 'Microsoft.Sql', 'cosmos-cmk': 'Microsoft.DocumentDB', 'cosmos-always-encrypted': 'Microsoft.DocumentDB' };

/** node:crypto JWKs carry base64url strings; the SDK's JsonWebKey wants the same fields as bytes. */
function sdkJwk(jwk: JsonWebKey): SdkJsonWebKey {
  const bytes = (v: unknown): Uint8Array | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64url') : undefined);
  return { kty: 'RSA', keyOps: ['wrapKey', 'unwrapKey'], n: bytes(jwk.n), e: bytes(jwk.e), d: bytes(jwk.d), p: bytes(jwk.p), q: bytes(jwk.q), dp: bytes(jwk.dp), dq: bytes(jwk.dq), qi: bytes(jwk.qi) } as SdkJsonWebKey;
}

/** What a rotation needs of its identity: read, create new versions, tag, and seal staged material. Never delete or purge. */
const ROTATION_PERMISSIONS = ['get', 'list', 'create', 'import', 'update', 'rotate', 'wrapKey', 'unwrapKey'] as const;

/** protector id → vault → the version seeded there (each member's current protector). */
export type SeededVersions = Map<string, Map<string, string>>;

export async function seedVaults(kv: KeyVaultEmulator, estate: Estate): Promise<SeededVersions> {
  const admin = new LocalEmulatorCredential(LOCAL_ADMIN);
  const seeded: SeededVersions = new Map();
  for (const vault of estate.vaults.keys()) {
    kv.grant(vault, LOCAL_ADMIN.oid, 'all');
    // …and, for discovery, reading each key's rotation policy (Key Vault Reader's part of it).
    kv.grant(vault, LOCAL_SERVICE_PRINCIPAL.oid, [...ROTATION_PERMISSIONS, 'getrotationpolicy']);
  }
  for (const protector of estate.protectors) {
    const vaults = [...new Set(protector.members.map((m) => m.vault))];
    const versions = new Map<string, string>();
    seeded.set(protector.id, versions);
    if (protector.rotation?.strategy === 'rotate' && vaults.length === 1) {
      const key = await new KeyClient(kv.vaultUrl(vaults[0] as string), admin, { additionalPolicies: localPolicies() }).createRsaKey(protector.keyName, { keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'] });
      if (key.properties.version) versions.set(vaults[0] as string, key.properties.version);
    } else {
      // One material for every member vault: identical thumbprints across geo-replicas (DESIGN.md §1).
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
      const jwk: JsonWebKey = privateKey.export({ format: 'jwk' });
      try {
        // Secondaries first, as a real setup must be done (DESIGN.md §1).
        const ordered = [...protector.members].sort((a, b) => (a.role === b.role ? 0 : a.role === 'secondary' ? -1 : 1));
        for (const vault of new Set(ordered.map((m) => m.vault))) {
          const client = new KeyClient(kv.vaultUrl(vault), admin, { additionalPolicies: localPolicies() });
          const key = await client.importKey(protector.keyName, sdkJwk(jwk), {});
          if (key.properties.version) versions.set(vault, key.properties.version);
        }
      } finally {
        for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) delete jwk[part];
      }
    }
    for (const member of protector.members) {
      if (!member.principalId) continue;
      kv.grant(member.vault, member.principalId, ['get', 'wrapKey', 'unwrapKey']);
      kv.setTrustedService(member.principalId, TRUSTED[protector.kind] ?? 'Microsoft.Sql');
    }
  }
  return seeded;
}
