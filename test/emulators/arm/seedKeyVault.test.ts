// A generated topology's keys seeded into the Key Vault emulator: every version its ARM configuration names exists
// (with an expiry where the topology says so), a geo-group's members hold one material in their own vaults, each
// member's principal may read its key — so the ARM emulator, checking keys with the servers' identities against the
// vaults, sees the same thumbprint on every member of a group.
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { localPolicies } from '../../../adapters/azure/localNetwork.js';
import { rsaThumbprint } from '../../../adapters/keyvault/thumbprint.js';
import { parseKeyUri } from '../../../domain/keyRef.js';
import { startArmEmulator, type ArmEmulator } from '../../../emulators/arm/index.js';
import { generateTopology, startTopologyKeyVault, TOPOLOGY_ADMIN_OID, type GeneratedTopology } from '../../../emulators/arm/topology/index.js';
import { keyVaultLookup } from '../../../emulators/armsql/index.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { all, clients, devCert } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator;
let arm: ArmEmulator;
let local: GeneratedTopology;
const generated = generateTopology({ seed: 7, sqlServers: 7, groupSize: { min: 2, max: 3 }, standaloneServers: 1, serviceManagedServers: 1, managedInstances: 1, cosmosAccounts: 4, alwaysEncryptedShare: 1, serviceManagedCosmosAccounts: 0, vaults: 6, subscriptions: 2 });
const EXPIRES = new Date('2031-01-01T00:00:00Z');

beforeAll(async () => {
  cert = await devCert();
  const started = await startTopologyKeyVault(generated, { tls: { cert: cert.certPem, key: cert.keyPem }, materials: 2, expiresOn: EXPIRES });
  kv = started.keyVault;
  local = started.topology;
  arm = await startArmEmulator({ ...local.arm, tls: { cert: cert.certPem, key: cert.keyPem }, keyExists: keyVaultLookup({ additionalPolicies: localPolicies() }) });
}, 60_000);

afterAll(async () => {
  await arm?.close();
  await kv?.close();
});

const admin = (vault: string): KeyClient => new KeyClient(kv.vaultUrl(vault), new LocalEmulatorCredential({ oid: TOPOLOGY_ADMIN_OID }), { additionalPolicies: localPolicies() });

/** Reads as the operator from a trusted network: firewalls opened for `read`, closed again after. */
async function withOpenFirewalls(read: () => Promise<void>): Promise<void> {
  const closed = generated.keyVaults.filter((v) => v.networkAcls?.defaultAction === 'Deny');
  expect(closed.length).toBeGreaterThan(0);
  for (const v of closed) kv.setNetworkAcls(v.name, null);
  try {
    await read();
  } finally {
    for (const v of closed) kv.setNetworkAcls(v.name, v.networkAcls ?? null);
  }
}

describe('seeding the Key Vault emulator from a topology', () => {
  it('holds every named version, expiring where the topology says', async () => {
    expect(generated.keys.length).toBeGreaterThan(10);
    await withOpenFirewalls(async () => {
      for (const k of generated.keys) {
        const key = await admin(k.vault).getKey(k.name, { version: k.version });
        expect(key.properties.version).toBe(k.version);
        expect(key.properties.expiresOn?.toISOString() ?? null, `${k.vault}/${k.name}`).toBe(k.expires ? EXPIRES.toISOString() : null);
      }
    });
  });

  it('gives a geo-group one key material in each member vault', async () => {
    const groups = generated.expected.protectors.filter((p) => p.kind === 'sql-tde' && p.members.length > 1);
    expect(groups.length).toBeGreaterThan(1);
    await withOpenFirewalls(async () => {
      for (const p of groups) {
        const thumbprints = new Set<string>();
        for (const m of p.members) {
          const key = await admin(m.vault).getKey(p.keyName);
          thumbprints.add(rsaThumbprint({ n: key.key?.n ?? new Uint8Array(), e: key.key?.e ?? new Uint8Array() }));
        }
        expect(thumbprints.size, p.id).toBe(1);
      }
    });
  });

  it('points the topology at the emulator: vault URIs and every key URI', () => {
    for (const v of local.arm.vaults ?? []) expect(v.vaultUri).toBe(kv.vaultUrl(parseKeyUri(`${v.vaultUri}keys/x`)?.vault ?? ''));
    for (const s of local.arm.servers ?? []) if (s.protector) expect(s.protector.startsWith(kv.vaultUrl(parseKeyUri(s.protector)?.vault ?? ''))).toBe(true);
    for (const a of local.arm.cosmosAccounts ?? []) if (a.keyVaultKeyUri) expect(a.keyVaultKeyUri).toContain('.vault.localhost:');
    expect(local.expected.vaults.every((v) => v.uri === kv.vaultUrl(v.name))).toBe(true);
    // Names, roles and principals do not change.
    expect(local.expected.protectors).toEqual(generated.expected.protectors);
  });

  it('lets each member read its key with its own principal: ARM sees the same thumbprint across a group', async () => {
    const c = clients(arm, cert);
    for (const p of local.expected.protectors.filter((x) => x.kind === 'sql-tde')) {
      const thumbprints = new Set<string | undefined>();
      for (const m of p.members) {
        const [, , sub, , rg, , , type, name] = m.resourceId.split('/');
        const sql = c.sql(sub ?? '');
        const [protector] = await all(type === 'managedinstances' ? sql.managedInstanceEncryptionProtectors.listByInstance(rg ?? '', name ?? '') : sql.encryptionProtectors.listByServer(rg ?? '', name ?? ''));
        thumbprints.add(protector?.thumbprint);
      }
      expect([...thumbprints].every((t) => typeof t === 'string'), p.id).toBe(true);
      expect(thumbprints.size, p.id).toBe(1);
    }
  });
});
