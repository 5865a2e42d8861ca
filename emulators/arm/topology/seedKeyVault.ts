// Seeds a Key Vault emulator with the keys a generated topology names, at exactly the versions its ARM configuration
// names: each version is imported through the SDK while the emulator's `newVersionId` hands out the expected id (a
// `VersionFeed`). A geo-group's members hold one key material in their own vaults, so thumbprints agree across the
// group; materials are drawn from a small pool of RSA-2048 keys (generating one per protector would take minutes),
// so two protectors may share material — nothing compares material across protectors. Each member's key-reading
// principal is granted get/wrapKey/unwrapKey on its vault (and passes a firewall as its service, Microsoft.Sql or
// Microsoft.DocumentDB, a trusted one). Private key parts exist only inside this module.
import { generateKeyPair, randomBytes, type JsonWebKey } from 'node:crypto';
import { KeyClient, type JsonWebKey as SdkJsonWebKey, type KeyClientOptions } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { localPolicies } from '../../../adapters/azure/localNetwork.js';
import { startKeyVaultEmulator, type KeyPermission, type KeyVaultEmulator, type KeyVaultEmulatorOptions } from '../../keyvault/index.js';
import { pointAtVaults } from './localize.js';
import type { GeneratedTopology } from './types.js';

/** The identity that imports the topology's keys (an operator's). */
export const TOPOLOGY_ADMIN_OID = 'a0a0a0a0-0000-4000-8000-0000000000ad';

/** Hands the Key Vault emulator the version ids the topology expects, in import order; random ones after that. */
export class VersionFeed {
  private readonly queue: string[] = [];

  readonly newVersionId = (): string => this.queue.shift() ?? randomBytes(16).toString('hex');

  push(version: string): void {
    this.queue.push(version);
  }
}

export interface SeedOptions {
  /** Distinct RSA-2048 materials shared out over the topology's protectors. Default 4. */
  readonly materials?: number;
  /** Grants on every vault, besides each member's on its own (e.g. keysteward's identity, to read key facts). */
  readonly grants?: ReadonlyArray<{ readonly principalId: string; readonly permissions: readonly KeyPermission[] | 'all' }>;
  /** `expiresOn` of the versions the topology marks as expiring. Default two years from now. */
  readonly expiresOn?: Date;
  /** Default `localPolicies()` (vault hosts are `<vault>.vault.localhost`). */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
}

const TRUSTED: Readonly<Record<string, string>> = { 'sql-tde': 'Microsoft.Sql', 'cosmos-cmk': 'Microsoft.DocumentDB', 'cosmos-always-encrypted': 'Microsoft.DocumentDB' };

function rsaKey(): Promise<JsonWebKey> {
  return new Promise((resolve, reject) => generateKeyPair('rsa', { modulusLength: 2048 }, (err, _pub, priv) => (err ? reject(err) : resolve(priv.export({ format: 'jwk' })))));
}

/** node:crypto JWKs carry base64url strings; the SDK's JsonWebKey wants bytes. */
function sdkJwk(jwk: JsonWebKey): SdkJsonWebKey {
  const bytes = (v: string | undefined): Uint8Array => Buffer.from(v ?? '', 'base64url');
  return { kty: 'RSA', keyOps: ['wrapKey', 'unwrapKey'], n: bytes(jwk.n), e: bytes(jwk.e), d: bytes(jwk.d), p: bytes(jwk.p), q: bytes(jwk.q), dp: bytes(jwk.dp), dq: bytes(jwk.dq), qi: bytes(jwk.qi) };
}

/** Imports every key of the topology into `kv` (whose `newVersionId` must be `feed.newVersionId`) and grants access. */
export async function seedKeyVault(kv: KeyVaultEmulator, topology: GeneratedTopology, feed: VersionFeed, o: SeedOptions = {}): Promise<void> {
  for (const v of topology.keyVaults) {
    kv.grant(v.name, TOPOLOGY_ADMIN_OID, 'all');
    for (const g of o.grants ?? []) kv.grant(v.name, g.principalId, g.permissions);
  }
  const pool = await Promise.all(Array.from({ length: Math.max(1, o.materials ?? 4) }, () => rsaKey()));
  const materialOf = new Map<string, number>();
  const credential = new LocalEmulatorCredential({ oid: TOPOLOGY_ADMIN_OID });
  const clients = new Map<string, KeyClient>();
  const expiresOn = o.expiresOn ?? new Date(Date.now() + 2 * 365 * 86_400_000);
  // The operator imports from a trusted network: firewalled vaults are opened while seeding, then closed again.
  for (const v of topology.keyVaults) if (v.networkAcls) kv.setNetworkAcls(v.name, null);
  try {
    for (const key of topology.keys) {
      if (!materialOf.has(key.material)) materialOf.set(key.material, materialOf.size % pool.length);
      let client = clients.get(key.vault);
      if (!client) {
        client = new KeyClient(kv.vaultUrl(key.vault), credential, { additionalPolicies: o.additionalPolicies ?? localPolicies() });
        clients.set(key.vault, client);
      }
      feed.push(key.version);
      const imported = await client.importKey(key.name, sdkJwk(pool[materialOf.get(key.material) ?? 0] as JsonWebKey), key.expires ? { expiresOn } : {});
      if (imported.properties.version !== key.version) throw new Error(`the Key Vault emulator gave ${key.vault}/${key.name} version ${imported.properties.version}, not ${key.version}: start it with newVersionId: feed.newVersionId`);
    }
  } finally {
    for (const jwk of pool) for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) delete jwk[part];
    for (const v of topology.keyVaults) if (v.networkAcls) kv.setNetworkAcls(v.name, v.networkAcls);
  }
  for (const p of topology.expected.protectors) {
    for (const m of p.members) {
      if (!m.principalId) continue;
      kv.grant(m.vault, m.principalId, ['get', 'wrapKey', 'unwrapKey']);
      kv.setTrustedService(m.principalId, TRUSTED[p.kind] ?? 'Microsoft.Sql');
    }
  }
}

export interface TopologyKeyVault {
  readonly keyVault: KeyVaultEmulator;
  /** The topology with every vault and key URI pointing at the emulator's vaults. */
  readonly topology: GeneratedTopology;
}

/** Starts a Key Vault emulator holding the topology's vaults and keys. */
export async function startTopologyKeyVault(topology: GeneratedTopology, o: Omit<KeyVaultEmulatorOptions, 'vaults' | 'newVersionId'> & SeedOptions): Promise<TopologyKeyVault> {
  const feed = new VersionFeed();
  const keyVault = await startKeyVaultEmulator({ ...o, vaults: topology.keyVaults, newVersionId: feed.newVersionId });
  try {
    await seedKeyVault(keyVault, topology, feed, o);
  } catch (e) {
    await keyVault.close();
    throw e;
  }
  return { keyVault, topology: pointAtVaults(topology, (vault) => keyVault.vaultUrl(vault)) };
}
