// A generated topology served by the ARM emulator and read back through the real SDK clients — paged, with a 429 on
// every fifth read — shows each expected protector as discovery must find it: the members' roles in their replication
// links and failover group, each member's protector key in its own vault, the principal it reads the key with, the
// Cosmos DB keys and Always Encrypted wrapping keys, and the vaults.
import type { DatabaseAccountGetResults } from '@azure/arm-cosmosdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyUri } from '../../../domain/keyRef.js';
import { startArmEmulator, type ArmEmulator } from '../../../emulators/arm/index.js';
import { generateTopology, type ExpectedProtector, type GeneratedTopology } from '../../../emulators/arm/topology/index.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { all, clients, devCert, type Clients } from './support.js';

let cert: DevCertificate;
let em: ArmEmulator;
let c: Clients;
const topology: GeneratedTopology = generateTopology({ seed: 20260302, sqlServers: 40, cosmosAccounts: 12, alwaysEncryptedShare: 0.5, vaults: 10, subscriptions: 3 });

beforeAll(async () => {
  cert = await devCert();
  em = await startArmEmulator({ ...topology.arm, tls: { cert: cert.certPem, key: cert.keyPem }, pageSize: 7, throttling: { rejectEveryNthRead: 5, retryAfterSeconds: 0 } });
  c = clients(em, cert);
});

afterAll(async () => {
  await em.close();
});

const parts = (id: string): { sub: string; rg: string; name: string } => {
  const p = id.split('/');
  return { sub: p[2] as string, rg: p[4] as string, name: p[8] as string };
};

/** Every server id in every subscription, through servers.list and managedInstances.list. */
async function listedSqlIds(): Promise<string[]> {
  const ids: string[] = [];
  for (const sub of (await all(c.subscriptions.subscriptions.list())).map((s) => s.subscriptionId ?? '')) {
    for (const s of await all(c.sql(sub).servers.list())) ids.push(s.id ?? '');
    for (const m of await all(c.sql(sub).managedInstances.list())) ids.push(m.id ?? '');
  }
  return ids.map((id) => id.toLowerCase()).sort();
}

async function checkSqlProtector(p: ExpectedProtector): Promise<void> {
  const primary = p.members[0];
  if (!primary) throw new Error(`${p.id} has no primary`);
  for (const m of p.members) {
    const { sub, rg, name } = parts(m.resourceId);
    const sql = c.sql(sub);
    const isInstance = m.resourceId.includes('/managedinstances/');
    const resource = isInstance ? await sql.managedInstances.get(rg, name) : await sql.servers.get(rg, name);
    const uai = resource.primaryUserAssignedIdentityId?.toLowerCase();
    const reader = uai ? Object.entries(resource.identity?.userAssignedIdentities ?? {}).find(([id]) => id.toLowerCase() === uai)?.[1].principalId : resource.identity?.principalId;
    expect(reader ?? null, `${m.resourceId} principal`).toBe(m.principalId);
    const [protector] = await all(isInstance ? sql.managedInstanceEncryptionProtectors.listByInstance(rg, name) : sql.encryptionProtectors.listByServer(rg, name));
    expect(parseKeyUri(protector?.uri ?? ''), `${m.resourceId} protector`).toMatchObject({ vault: m.vault, key: p.keyName });
    if (isInstance) continue;
    const partners = new Map((await all(sql.replicationLinks.listByServer(rg, name))).map((l) => [l.partnerServer, [l.role, l.partnerRole]]));
    const expectedPartners = m.role === 'primary' ? p.members.slice(1) : [primary];
    expect([...partners.keys()].sort(), `${m.resourceId} partners`).toEqual(expectedPartners.map((x) => parts(x.resourceId).name).sort());
    for (const roles of partners.values()) expect(roles).toEqual(m.role === 'primary' ? ['Primary', 'Secondary'] : ['Secondary', 'Primary']);
  }
  if (p.id.startsWith('fg-')) {
    const { sub, rg, name } = parts(primary.resourceId);
    expect(await c.sql(sub).failoverGroups.get(rg, name, p.id)).toMatchObject({ replicationRole: 'Primary' });
  }
}

describe('a generated topology through the SDKs', () => {
  it('servers.list and managedInstances.list over every subscription give exactly the configured servers', async () => {
    const configured = [...(topology.arm.servers ?? []), ...(topology.arm.managedInstances ?? [])].map((s) => s.resourceId.toLowerCase()).sort();
    expect(await listedSqlIds()).toEqual(configured);
  });

  it('every SQL protector: roles, links, failover group, protector key and key-reading principal of each member', async () => {
    for (const p of topology.expected.protectors.filter((x) => x.kind === 'sql-tde')) await checkSqlProtector(p);
  });

  it('every Cosmos DB protector: the CMK key and its vault, the Always Encrypted wrapping key and databases', async () => {
    const accounts = new Map<string, DatabaseAccountGetResults>();
    for (const sub of topology.expected.subscriptions) for (const a of await all(c.cosmos(sub).databaseAccounts.list())) accounts.set((a.id ?? '').toLowerCase(), a);
    for (const p of topology.expected.protectors.filter((x) => x.kind !== 'sql-tde')) {
      const m = p.members[0];
      if (!m) throw new Error(`${p.id} has no member`);
      const account = accounts.get(m.resourceId);
      const { sub, rg, name } = parts(m.resourceId);
      if (p.kind === 'cosmos-cmk') {
        expect(parseKeyUri(account?.keyVaultKeyUri ?? ''), p.id).toEqual({ vault: m.vault, key: p.keyName, version: null });
        continue;
      }
      const databases: string[] = [];
      for (const db of await all(c.cosmos(sub).sqlResources.listSqlDatabases(rg, name))) {
        const ceks = await all(c.cosmos(sub).sqlResources.listClientEncryptionKeys(rg, name, db.name ?? ''));
        if (ceks.length === 0) continue;
        databases.push(db.name ?? '');
        for (const k of ceks) expect(parseKeyUri(k.resource?.keyWrapMetadata?.value ?? ''), p.id).toMatchObject({ vault: m.vault, key: p.keyName });
      }
      expect(databases.sort()).toEqual(p.alwaysEncrypted?.databases);
    }
  });

  it('the vaults: every named vault is listed with the expected settings', async () => {
    const listed = new Map<string, unknown>();
    for (const sub of topology.expected.subscriptions) for (const v of await all(c.keyVault(sub).vaults.listBySubscription())) listed.set(v.name ?? '', v);
    expect(listed.size).toBe(topology.arm.vaults?.length);
    for (const v of topology.expected.vaults) {
      expect(listed.get(v.name), v.name).toMatchObject({
        id: expect.stringMatching(new RegExp(`^${v.id}$`, 'i')),
        location: v.location,
        properties: { vaultUri: v.uri, enableSoftDelete: v.softDelete, softDeleteRetentionInDays: v.softDeleteRetentionDays, enableRbacAuthorization: v.rbac, networkAcls: v.networkAcls },
      });
      expect((listed.get(v.name) as { properties: { enablePurgeProtection?: boolean } }).properties.enablePurgeProtection ?? false).toBe(v.purgeProtection);
    }
  });

  it('the SDKs retried every forced 429', () => {
    const calls = em.calls();
    expect(calls.throttled).toBeGreaterThan(10);
    expect(calls.throttled).toBe(Math.floor(calls.total / 5));
  });
});
