// Discovery's decide step: geo-groups of servers become protectors with the right primary, secondaries, vaults and
// principal ids — for any topology the generator makes, in any order the facts arrive — and what cannot be a valid
// protector is listed with a finding, never dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CosmosAccountFacts, DiscoveryFacts, GeoLink, IdentityFacts, SqlServerFacts, VaultFacts } from '../../../domain/discovery/facts.js';
import { decideDiscovery } from '../../../domain/discovery/findings.js';

const sub = (i: number): string => `00000000-0000-4000-8000-00000000000${i}`;
const serverId = (s: number, name: string): string => `/subscriptions/${sub(s)}/resourcegroups/rg-${s}/providers/microsoft.sql/servers/${name}`;
const oid = (n: number): string => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
const kid = (vault: string, key: string, version = 'a'.repeat(32)): string => `https://${vault}.vault.azure.net/keys/${key}/${version}`;

function identity(systemPrincipal: string | null, uai: Record<string, string | null> = {}): IdentityFacts {
  return { type: systemPrincipal ? 'SystemAssigned' : 'UserAssigned', systemPrincipalId: systemPrincipal, userAssigned: new Map(Object.entries(uai)) };
}

function server(o: { id: string; vault: string; key?: string; principal: number; links?: GeoLink[]; uai?: boolean; tiers?: Record<string, number>; ownCmk?: string[] }): SqlServerFacts {
  const uaiId = `${o.id}-uai`;
  return {
    id: o.id,
    kind: 'server',
    name: o.id.slice(o.id.lastIndexOf('/') + 1),
    subscriptionId: o.id.split('/')[2] as string,
    location: 'eastus',
    identity: o.uai ? identity(null, { [uaiId]: oid(o.principal) }) : identity(oid(o.principal)),
    primaryUserAssignedIdentityId: o.uai ? uaiId : null,
    protector: { keyUri: kid(o.vault, o.key ?? 'tde'), autoRotation: false, serverKeyName: `${o.vault}_${o.key ?? 'tde'}_${'a'.repeat(32)}` },
    geoLinks: o.links ?? [],
    databases: { byTier: o.tiers ?? { GeneralPurpose: 1 }, withOwnCmk: o.ownCmk ?? [] },
  };
}

function vault(name: string, purgeProtection = true): VaultFacts {
  return { name, id: `/subscriptions/${sub(0)}/resourcegroups/rg/providers/microsoft.keyvault/vaults/${name}`, subscriptionId: sub(0), location: 'eastus', uri: `https://${name}.vault.azure.net/`, managedHsm: false, softDelete: true, softDeleteRetentionDays: 90, purgeProtection, rbac: true, networkAcls: null };
}

const facts = (o: Partial<DiscoveryFacts>): DiscoveryFacts => ({ subscriptions: [sub(0)], sqlServers: [], cosmosAccounts: [], vaults: [], keys: [], gaps: [], ...o });

/** The links of a primary and its secondaries, as each server lists them. */
function geo(primary: string, secondaries: readonly string[], via: (secondary: string) => string): Map<string, GeoLink[]> {
  const links = new Map<string, GeoLink[]>([[primary, []]]);
  for (const s of secondaries) {
    links.get(primary)?.push({ partner: s, role: 'primary', partnerRole: 'secondary', via: via(s) });
    links.set(s, [{ partner: primary, role: 'secondary', partnerRole: 'primary', via: via(s) }]);
  }
  return links;
}

interface GeneratedGroup {
  readonly size: number;
  readonly primaryIndex: number;
  readonly failoverGroup: boolean;
  readonly uai: readonly boolean[];
}

const groupArb: fc.Arbitrary<GeneratedGroup> = fc.integer({ min: 1, max: 5 }).chain((size) =>
  fc.record({ size: fc.constant(size), primaryIndex: fc.nat(size - 1), failoverGroup: fc.boolean(), uai: fc.array(fc.boolean(), { minLength: size, maxLength: size }) }),
);

describe('geo-groups become protectors', () => {
  it('any topology of groups of 1–5 servers across subscriptions, facts in any order: exactly the generated protectors, members, roles and principal ids', () => {
    fc.assert(
      fc.property(fc.array(groupArb, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { minLength: 60, maxLength: 60 }), (groups, order) => {
        const servers: SqlServerFacts[] = [];
        const expected: Array<{ id: string; members: Array<{ role: string; resourceId: string; vault: string; principalId: string }> }> = [];
        let principal = 1;
        groups.forEach((g, gi) => {
          const ids = Array.from({ length: g.size }, (_, i) => serverId(i % 5, `sql-g${gi}-m${i}`));
          const primary = ids[g.primaryIndex] as string;
          const secondaries = ids.filter((x) => x !== primary);
          const links = geo(primary, secondaries, () => (g.failoverGroup ? `failover-group:fg-${gi}` : 'replication-link:orders'));
          const members = ids.map((id, i) => {
            const p = principal++;
            servers.push(server({ id, vault: `kv-g${gi}-m${i}`, principal: p, links: links.get(id) ?? [], uai: g.uai[i] ?? false }));
            return { role: id === primary ? 'primary' : 'secondary', resourceId: id, vault: `kv-g${gi}-m${i}`, principalId: oid(p) };
          });
          members.sort((a, b) => (a.role === b.role ? (a.resourceId < b.resourceId ? -1 : 1) : a.role === 'primary' ? -1 : 1));
          expected.push({ id: g.failoverGroup && g.size > 1 ? `fg-${gi}` : `sql-g${gi}-m0`, members });
        });
        const shuffled = servers.map((s, i) => ({ s, k: order[i] ?? 0 })).sort((a, b) => a.k - b.k).map((x) => x.s);
        const out = decideDiscovery(facts({ sqlServers: shuffled }));
        expect(out.protectors.map((p) => ({ id: p.id, members: p.members.map(({ role, resourceId, vault: v, principalId }) => ({ role, resourceId, vault: v, principalId })) }))).toEqual(
          expected.sort((a, b) => (a.id < b.id ? -1 : 1)),
        );
        expect(out.findings.filter((f) => f.code.startsWith('geo_'))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a failover swaps roles and keeps the protector id', () => {
    const a = serverId(1, 'sql-a');
    const b = serverId(2, 'sql-b');
    const before = geo(a, [b], () => 'failover-group:fg-orders');
    const after = geo(b, [a], () => 'failover-group:fg-orders');
    const run = (links: Map<string, GeoLink[]>) =>
      decideDiscovery(facts({ sqlServers: [server({ id: a, vault: 'kv-a', principal: 1, links: links.get(a) ?? [] }), server({ id: b, vault: 'kv-b', principal: 2, links: links.get(b) ?? [] })] })).protectors;
    expect(run(before).map((p) => [p.id, p.members.map((m) => `${m.role} ${m.vault}`)])).toEqual([['fg-orders', ['primary kv-a', 'secondary kv-b']]]);
    expect(run(after).map((p) => [p.id, p.members.map((m) => `${m.role} ${m.vault}`)])).toEqual([['fg-orders', ['primary kv-b', 'secondary kv-a']]]);
  });
});

describe('what cannot be a valid protector is listed with a finding', () => {
  it('chained geo-replication (a secondary that is itself a primary of another) and more than four secondaries', () => {
    const [p, s1, s2] = [serverId(0, 'sql-p'), serverId(0, 'sql-s1'), serverId(0, 'sql-s2')];
    const chained = decideDiscovery(
      facts({
        sqlServers: [
          server({ id: p, vault: 'kv-p', principal: 1, links: [{ partner: s1, role: 'primary', partnerRole: 'secondary', via: 'replication-link:db' }] }),
          server({ id: s1, vault: 'kv-s1', principal: 2, links: [{ partner: p, role: 'secondary', partnerRole: 'primary', via: 'replication-link:db' }, { partner: s2, role: 'primary', partnerRole: 'secondary', via: 'replication-link:db' }] }),
          server({ id: s2, vault: 'kv-s2', principal: 3, links: [{ partner: s1, role: 'secondary', partnerRole: 'primary', via: 'replication-link:db' }] }),
        ],
      }),
    );
    expect(chained.protectors).toHaveLength(1);
    expect(chained.protectors[0]?.members).toHaveLength(3);
    expect(chained.findings.map((f) => `${f.code} ${f.resource.split('/').pop()}`)).toContain('geo_replication_chained sql-s1');

    const primary = serverId(0, 'sql-big');
    const secondaries = [1, 2, 3, 4, 5].map((i) => serverId(0, `sql-big-${i}`));
    const links = geo(primary, secondaries, () => 'replication-link:db');
    const big = decideDiscovery(facts({ sqlServers: [primary, ...secondaries].map((id, i) => server({ id, vault: `kv-${i}`, principal: i + 1, links: links.get(id) ?? [] })) }));
    expect(big.findings.find((f) => f.code === 'geo_too_many_secondaries')).toMatchObject({ protector: 'sql-big', detail: { secondaries: 5, allowed: 4 } });
  });

  it('a partner keysteward cannot read, a partner without a CMK, database-level CMK and an unread vault are named', () => {
    const a = serverId(0, 'sql-a');
    const b = serverId(0, 'sql-b');
    const hidden = serverId(9, 'sql-hidden');
    const out = decideDiscovery(
      facts({
        sqlServers: [
          server({ id: a, vault: 'kv-a', principal: 1, links: [{ partner: hidden, role: 'primary', partnerRole: 'secondary', via: 'replication-link:db' }, { partner: b, role: 'primary', partnerRole: 'secondary', via: 'replication-link:db2' }], ownCmk: ['ledger'] }),
          { ...server({ id: b, vault: 'kv-b', principal: 2 }), protector: null },
        ],
        vaults: [],
      }),
    );
    expect(out.protectors.map((p) => [p.id, p.members.length])).toEqual([['sql-a', 1]]);
    expect(out.findings.map((f) => f.code).sort()).toEqual(['database_level_cmk', 'geo_partner_not_discovered', 'geo_partner_without_cmk', 'vault_not_discovered']);
    expect(out.unreadVaults).toEqual(['kv-a']);
  });
});

describe('preflight facts', () => {
  it('more than 500 General Purpose databases behind one vault, purge protection off, a versioned key with auto-rotation, a key without expiry', () => {
    const servers = [1, 2, 3].map((i) => server({ id: serverId(0, `sql-${i}`), vault: 'kv-shared', principal: i, tiers: { GeneralPurpose: 200, BusinessCritical: 10 } }));
    const auto = { ...server({ id: serverId(0, 'sql-auto'), vault: 'kv-auto', principal: 9 }) };
    const withAuto: SqlServerFacts = { ...auto, protector: { ...(auto.protector as NonNullable<SqlServerFacts['protector']>), autoRotation: true } };
    const out = decideDiscovery(facts({ sqlServers: [...servers, withAuto], vaults: [vault('kv-shared'), vault('kv-auto', false)], keys: [{ vault: 'kv-auto', name: 'tde', expires: false, autoRotate: false }] }));
    expect(out.findings.map((f) => `${f.code} ${f.vault}`)).toEqual([
      'vault_failover_storm_risk kv-shared',
      'key_without_expiry kv-auto',
      'vault_purge_protection_disabled kv-auto',
      'versioned_key_with_autorotation kv-auto',
    ]);
    expect(out.findings[0]?.detail).toMatchObject({ databases: { GeneralPurpose: 600, BusinessCritical: 30 }, limits: { GeneralPurpose: 500 } });
  });
});

describe('Cosmos DB accounts', () => {
  const account = (o: Partial<CosmosAccountFacts>): CosmosAccountFacts => ({
    id: `/subscriptions/${sub(0)}/resourcegroups/rg/providers/microsoft.documentdb/databaseaccounts/cosmos-x`,
    name: 'cosmos-x',
    subscriptionId: sub(0),
    location: 'eastus',
    identity: identity(oid(7), { '/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id-x': oid(8) }),
    keyVaultKeyUri: 'https://kv-cosmos.vault.azure.net/keys/cosmos-cmk',
    defaultIdentity: null,
    documentEndpoint: 'https://cosmos-x.documents.azure.com:443/',
    clientEncryptionKeys: null,
    ...o,
  });

  it.each([
    ['SystemAssignedIdentity', oid(7), []],
    ['UserAssignedIdentity=/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id-x', oid(8), []],
    ['FirstPartyIdentity', null, ['identity_not_resolved']],
    ['FederatedIdentity=UserAssignedIdentity=/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/id-x&FederatedClientId=c0ffee00-0000-4000-8000-000000000001', null, ['identity_not_resolved']],
  ])('defaultIdentity %s → principal %s', (defaultIdentity, principalId, codes) => {
    const out = decideDiscovery(facts({ cosmosAccounts: [account({ defaultIdentity })], vaults: [vault('kv-cosmos')] }));
    expect(out.protectors).toMatchObject([{ id: 'cosmos-x', kind: 'cosmos-cmk', keyName: 'cosmos-cmk', keyVersioned: false, members: [{ role: 'primary', vault: 'kv-cosmos', principalId }] }]);
    expect(out.findings.map((f) => f.code)).toEqual(codes);
  });

  it('Always Encrypted: one protector per wrapping key, with the databases that use it', () => {
    const ceks = [
      { database: 'cards', id: 'cek1', keyUri: 'https://kv-ae.vault.azure.net/keys/cards-cmk/' + 'b'.repeat(32) },
      { database: 'payments', id: 'cek2', keyUri: 'https://kv-ae.vault.azure.net/keys/cards-cmk/' + 'c'.repeat(32) },
    ];
    const out = decideDiscovery(facts({ cosmosAccounts: [account({ keyVaultKeyUri: null, clientEncryptionKeys: ceks })], vaults: [vault('kv-ae')] }));
    expect(out.protectors).toMatchObject([{ id: 'cosmos-x-ae', kind: 'cosmos-always-encrypted', keyName: 'cards-cmk', alwaysEncrypted: { databases: ['cards', 'payments'] } }]);
  });
});

describe('database-level CMK', () => {
  it('a server with a service-managed protector and databases with their own CMK is listed with a finding, not dropped', () => {
    const id = serverId(0, 'sql-dbcmk');
    const s = { ...server({ id, vault: 'kv-x', principal: 1, ownCmk: ['ledger', 'audit'] }), protector: null };
    const out = decideDiscovery(facts({ sqlServers: [s] }));
    expect(out.protectors).toEqual([]);
    expect(out.findings).toEqual([{ code: 'database_level_cmk', protector: null, resource: id, vault: null, source: 'Microsoft.Sql/servers/databases', detail: { databases: ['audit', 'ledger'] } }]);
  });
});
