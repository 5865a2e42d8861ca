// ArmInventory + KeyFactsReader contract against the in-memory inventory and against the SDK adapters
// (adapters/arm over @azure/arm-*, adapters/keyvault/keyFactsReader.ts over @azure/keyvault-keys) talking HTTPS to
// the ARM emulator and the Key Vault emulator, the world translated into the emulators' configuration. The
// discovery identity is granted only `get` and `getrotationpolicy` on the vaults: no cryptographic permission.
import { KeyClient } from '@azure/keyvault-keys';
import { beforeAll } from 'vitest';
import { MemoryArmInventory, type InventoryWorld } from '../../app/discovery/memoryInventory.js';
import { createArmInventory } from '../../adapters/arm/index.js';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { createKeyFactsReader } from '../../adapters/keyvault/keyFactsReader.js';
import type { SqlServerFacts } from '../../domain/discovery/facts.js';
import { startArmEmulator, type ArmEmulatorOptions } from '../../emulators/arm/index.js';
import type { EmulatedSqlServer } from '../../emulators/armsql/types.js';
import type { DevCertificate } from '../../emulators/certs.js';
import { startKeyVaultEmulator } from '../../emulators/keyvault/index.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../../hosts/composition.js';
import { devCert, sdkPolicies } from '../emulators/armsql/support.js';
import { armInventoryContract, type Refusals } from './armInventoryContract.js';

let cert: DevCertificate;
beforeAll(async () => {
  cert = await devCert();
});

armInventoryContract('memory', async (world, refusals) => {
  const arm = new MemoryArmInventory({ ...world, forbidden: [...(refusals.subscriptions ?? []), ...(refusals.clientEncryptionKeysOf ?? []), ...(refusals.keysIn ?? [])] });
  return { arm, keys: arm, vaultUri: (v) => v.uri, close: async () => undefined };
});

const ADMIN = { oid: '0a0a0a0a-0000-4000-8000-00000000ad01' };
const OTHER_READER = '0b0b0b0b-0000-4000-8000-00000000beef';

const record = <V>(m: ReadonlyMap<string, V | null>): Record<string, V> => Object.fromEntries([...m.entries()].filter((e): e is [string, V] => e[1] !== null));

/** A server as the ARM emulator holds it: its identity, protector, geo partners (primaries name them) and databases. */
function emulatedServer(s: SqlServerFacts): EmulatedSqlServer {
  const replicationPartners = s.geoLinks.filter((l) => l.via.startsWith('replication-link:'));
  const primary = replicationPartners.length > 0 && replicationPartners.every((l) => l.role === 'primary');
  const geoDatabase = replicationPartners[0]?.via.slice('replication-link:'.length);
  const users = record(s.identity.userAssigned);
  return {
    resourceId: s.id,
    ...(s.location ? { location: s.location } : {}),
    ...(s.identity.systemPrincipalId ? { principalId: s.identity.systemPrincipalId } : {}),
    ...(Object.keys(users).length > 0 ? { userAssignedIdentities: users } : {}),
    ...(s.primaryUserAssignedIdentityId ? { primaryUserAssignedIdentityId: s.primaryUserAssignedIdentityId } : {}),
    ...(s.protector ? { protector: s.protector.keyUri, autoRotation: s.protector.autoRotation === true } : {}),
    ...(primary ? { partners: replicationPartners.map((l) => l.partner), role: 'Primary' as const } : replicationPartners.length > 0 ? { role: 'Secondary' as const } : {}),
    // The geo database lives on the primary and is replicated to each partner; a standalone server has its own.
    databases: primary ? [{ name: geoDatabase as string, tier: 'GeneralPurpose', geo: true }] : replicationPartners.length > 0 ? [] : [{ name: `${s.name}-db`, tier: 'GeneralPurpose', geo: false }],
  };
}

function emulatedEstate(world: InventoryWorld, refusals: Refusals, vaultUrl: (vault: string) => string): Omit<ArmEmulatorOptions, 'tls'> {
  const servers = world.subscriptions.flatMap((s) => s.sqlServers);
  const groups = new Map<string, { primary: string | null; members: Set<string> }>();
  const instanceGroups = new Map<string, { primary?: string; secondary?: string }>();
  for (const s of servers.filter((x) => x.kind === 'managed-instance')) {
    for (const l of s.geoLinks) {
      const g = instanceGroups.get(l.via) ?? {};
      instanceGroups.set(l.via, l.role === 'primary' ? { ...g, primary: s.id } : { ...g, secondary: s.id });
    }
  }
  for (const s of servers.filter((x) => x.kind === 'server')) {
    for (const l of s.geoLinks.filter((x) => x.via.startsWith('failover-group:'))) {
      const g = groups.get(l.via) ?? { primary: null, members: new Set<string>() };
      g.members.add(s.id).add(l.partner);
      if (l.role === 'primary') g.primary = s.id;
      groups.set(l.via, g);
    }
  }
  const accounts = world.subscriptions.flatMap((s) => s.cosmosAccounts);
  const vaults = world.subscriptions.flatMap((s) => s.vaults);
  return {
    subscriptions: world.subscriptions.map((s) => ({ subscriptionId: s.id, ...((refusals.subscriptions ?? []).includes(s.id) ? { readers: [OTHER_READER] } : {}) })),
    servers: servers.filter((s) => s.kind === 'server').map(emulatedServer),
    managedInstances: servers
      .filter((s) => s.kind === 'managed-instance')
      .map((s) => ({
        resourceId: s.id,
        ...(s.location ? { location: s.location } : {}),
        ...(s.identity.systemPrincipalId ? { principalId: s.identity.systemPrincipalId } : {}),
        ...(s.protector ? { protector: s.protector.keyUri, autoRotation: s.protector.autoRotation === true } : {}),
        managedDatabases: Array.from({ length: Object.values(s.databases.byTier).reduce((a, b) => a + b, 0) }, (_, i) => `db-${i}`),
      })),
    instanceFailoverGroups: [...instanceGroups.entries()].map(([via, g]) => ({ name: via.slice('failover-group:'.length), primary: g.primary as string, secondary: g.secondary as string })),
    failoverGroups: [...groups.entries()].map(([via, g]) => ({ name: via.slice('failover-group:'.length), servers: [g.primary as string, ...[...g.members].filter((m) => m !== g.primary)] })),
    cosmosAccounts: accounts.map((a) => {
      const users = record(a.identity.userAssigned);
      const databases = [...new Set((a.clientEncryptionKeys ?? []).map((k) => k.database))].map((db) => ({
        name: db,
        clientEncryptionKeys: (a.clientEncryptionKeys ?? []).filter((k) => k.database === db).map((k) => ({ id: k.id, keyWrapUri: k.keyUri })),
      }));
      return {
        resourceId: a.id,
        ...(a.location ? { location: a.location } : {}),
        ...(a.identity.systemPrincipalId ? { principalId: a.identity.systemPrincipalId } : {}),
        ...(Object.keys(users).length > 0 ? { userAssignedIdentities: users } : {}),
        ...(a.keyVaultKeyUri ? { keyVaultKeyUri: a.keyVaultKeyUri } : {}),
        ...(a.defaultIdentity ? { defaultIdentity: a.defaultIdentity } : {}),
        ...(a.documentEndpoint ? { documentEndpoint: a.documentEndpoint } : {}),
        databases,
        ...((refusals.clientEncryptionKeysOf ?? []).includes(a.id) ? { clientEncryptionKeyReaders: [OTHER_READER] } : {}),
      };
    }),
    vaults: vaults
      .filter((v) => !v.managedHsm)
      .map((v) => ({
        resourceId: v.id,
        ...(v.location ? { location: v.location } : {}),
        vaultUri: vaultUrl(v.name),
        softDelete: v.softDelete === true,
        ...(v.softDeleteRetentionDays !== null ? { softDeleteRetentionDays: v.softDeleteRetentionDays } : {}),
        purgeProtection: v.purgeProtection === true,
        rbac: v.rbac !== false,
        ...(v.networkAcls ? { networkAcls: v.networkAcls } : {}),
      })),
    managedHsms: vaults
      .filter((v) => v.managedHsm)
      .map((v) => ({
        resourceId: v.id,
        ...(v.location ? { location: v.location } : {}),
        hsmUri: v.uri,
        ...(v.softDeleteRetentionDays !== null ? { softDeleteRetentionDays: v.softDeleteRetentionDays } : {}),
        purgeProtection: v.purgeProtection === true,
        ...(v.networkAcls ? { networkAcls: v.networkAcls } : {}),
      })),
    pageSize: 2,
  };
}

armInventoryContract('SDK adapters on the ARM and Key Vault emulators', async (world, refusals) => {
  const tls = { cert: cert.certPem, key: cert.keyPem };
  const vaults = world.subscriptions.flatMap((s) => s.vaults).filter((v) => !v.managedHsm);
  const kv = await startKeyVaultEmulator({ tls, vaults: vaults.map((v) => ({ name: v.name, ...(v.location ? { region: v.location } : {}) })) });
  const policies = sdkPolicies(cert);
  for (const v of vaults) {
    kv.grant(v.name, ADMIN.oid, 'all');
    if (!(refusals.keysIn ?? []).includes(v.name)) kv.grant(v.name, LOCAL_SERVICE_PRINCIPAL.oid, ['get', 'getrotationpolicy']);
  }
  for (const k of world.keys) {
    const admin = new KeyClient(kv.vaultUrl(k.vault), new LocalEmulatorCredential(ADMIN), { additionalPolicies: policies });
    await admin.createRsaKey(k.name, { keySize: 2048, ...(k.expires ? { expiresOn: new Date(Date.now() + 365 * 86_400_000) } : {}) });
    if (k.autoRotate) await admin.updateKeyRotationPolicy(k.name, { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }] });
  }
  const arm = await startArmEmulator({ tls, ...emulatedEstate(world, refusals, (v) => kv.vaultUrl(v)) });
  const credential = new LocalEmulatorCredential(LOCAL_SERVICE_PRINCIPAL);
  return {
    arm: createArmInventory({ credential, endpoint: arm.endpoint, additionalPolicies: policies }),
    keys: createKeyFactsReader({ credential, additionalPolicies: policies }),
    vaultUri: (v) => (v.managedHsm ? v.uri : kv.vaultUrl(v.name)),
    close: async () => {
      await arm.close();
      await kv.close();
    },
  };
});
