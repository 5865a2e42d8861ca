// The seeded topology generator: deterministic per seed; internally consistent for any seed and sizes (every member's
// vault exists and holds its key, groups of the asked sizes with one primary and at most four secondaries, unique
// principal ids and names, failover groups inside their geo-group); and its expected protectors are exactly what the
// domain's decide step makes of the facts its configuration states.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDiscoveredEstate } from '../../../domain/discovery/topology.js';
import { asExpected, generateTopology, splittable, type GeneratedTopology, type TopologyOptions } from '../../../emulators/arm/topology/index.js';
import { factsOf } from './topologyFacts.js';

const lower = (s: string): string => s.toLowerCase();

const sizes: fc.Arbitrary<TopologyOptions> = fc
  .record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    subscriptions: fc.integer({ min: 1, max: 5 }),
    groupMin: fc.integer({ min: 2, max: 3 }),
    groupExtra: fc.integer({ min: 0, max: 2 }),
    sqlServers: fc.integer({ min: 0, max: 40 }),
    failoverGroupShare: fc.double({ min: 0, max: 1, noNaN: true }),
    standaloneServers: fc.integer({ min: 0, max: 3 }),
    serviceManagedServers: fc.integer({ min: 0, max: 3 }),
    managedInstances: fc.integer({ min: 0, max: 2 }),
    cosmosAccounts: fc.integer({ min: 0, max: 12 }),
    alwaysEncryptedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    vaults: fc.integer({ min: 5, max: 14 }),
  })
  .map(({ groupMin, groupExtra, sqlServers, ...rest }) => {
    const groupSize = { min: groupMin, max: groupMin + groupExtra };
    return { ...rest, groupSize, sqlServers: splittable(sqlServers, groupSize) ? sqlServers : 0 };
  });

/** Every invariant the generator promises, checked on its own output. */
function checkConsistency(t: GeneratedTopology, o: TopologyOptions): void {
  const vaultNames = new Set((t.arm.vaults ?? []).map((v) => lower(v.resourceId.slice(v.resourceId.lastIndexOf('/') + 1))));
  expect(new Set(t.keyVaults.map((v) => v.name))).toEqual(vaultNames);
  const keys = new Map(t.keys.map((k) => [`${k.vault}/${k.name}`, k]));
  expect(keys.size).toBe(t.keys.length);
  expect(t.keys.every((k) => /^[0-9a-f]{32}$/.test(k.version))).toBe(true);

  const range = o.groupSize ?? { min: 2, max: 5 };
  const principals: string[] = [];
  for (const p of t.expected.protectors) {
    expect(p.members.filter((m) => m.role === 'primary')).toHaveLength(1);
    expect(p.members[0]?.role).toBe('primary');
    for (const m of p.members) {
      expect(vaultNames.has(m.vault), `${p.id}: vault ${m.vault}`).toBe(true);
      expect(keys.has(`${m.vault}/${p.keyName}`), `${p.id}: key ${m.vault}/${p.keyName}`).toBe(true);
      if (m.principalId) principals.push(m.principalId);
    }
    if (p.kind === 'sql-tde') {
      expect(p.members.length - 1).toBeLessThanOrEqual(4);
      // One material across the group: each member's vault holds the same key.
      expect(new Set(p.members.map((m) => keys.get(`${m.vault}/${p.keyName}`)?.material)).size).toBe(1);
    }
  }
  expect(new Set(principals).size).toBe(principals.length);

  const groups = t.expected.protectors.filter((p) => p.kind === 'sql-tde' && p.members.length > 1);
  for (const g of groups) {
    expect(g.members.length).toBeGreaterThanOrEqual(range.min);
    expect(g.members.length).toBeLessThanOrEqual(range.max);
  }
  expect(groups.reduce((n, g) => n + g.members.length, 0)).toBe(o.sqlServers ?? 300);

  const servers = t.arm.servers ?? [];
  const names = [...servers, ...(t.arm.managedInstances ?? [])].map((s) => lower(s.resourceId.slice(s.resourceId.lastIndexOf('/') + 1)));
  expect(new Set(names).size).toBe(names.length);
  for (const fg of t.arm.failoverGroups ?? []) {
    const p = t.expected.protectors.find((x) => x.id === fg.name);
    expect(p, fg.name).toBeDefined();
    const members = new Set(p?.members.map((m) => m.resourceId));
    expect(fg.servers.every((s) => members.has(lower(s)))).toBe(true);
    expect(lower(fg.servers[0] ?? '')).toBe(p?.members[0]?.resourceId);
  }
  const cmkAccounts = (t.arm.cosmosAccounts ?? []).filter((a) => a.keyVaultKeyUri);
  expect(cmkAccounts).toHaveLength(o.cosmosAccounts ?? 50);
  expect(t.expected.subscriptions).toHaveLength(o.subscriptions ?? 5);
}

describe('generateTopology', () => {
  it('is consistent for any seed and sizes, and its expected protectors are what the decide step makes of its facts', () => {
    fc.assert(
      fc.property(sizes, (o) => {
        const t = generateTopology(o);
        checkConsistency(t, o);
        const decided = buildDiscoveredEstate(factsOf(t));
        expect(asExpected(decided.protectors)).toEqual(t.expected.protectors);
        expect(decided.vaults).toEqual(t.expected.vaults);
        expect(decided.unreadVaults).toEqual([]);
        expect(decided.findings.filter((f) => f.code === 'database_level_cmk').map((f) => f.resource).sort()).toEqual(t.expected.databaseLevelCmk);
        expect(decided.findings.filter((f) => f.code.startsWith('geo_'))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('at the issue’s size: 300 servers in geo-groups of 2–5 over 5 subscriptions, 50 Cosmos accounts with every defaultIdentity kind, 40 vaults', () => {
    const o = { seed: 8 };
    const t = generateTopology(o);
    checkConsistency(t, o);
    const sql = t.expected.protectors.filter((p) => p.kind === 'sql-tde');
    const groups = sql.filter((p) => p.members.length > 1);
    expect(groups.reduce((n, g) => n + g.members.length, 0)).toBe(300);
    expect(new Set(groups.map((g) => g.members.length))).toEqual(new Set([2, 3, 4, 5]));
    expect(groups.some((g) => g.id.startsWith('fg-')) && groups.some((g) => !g.id.startsWith('fg-'))).toBe(true);
    expect(new Set((t.arm.servers ?? []).map((s) => s.resourceId.split('/')[2])).size).toBe(5);
    expect(t.arm.vaults).toHaveLength(40);
    // Vaults shared by many servers.
    expect(Math.max(...t.expected.vaults.map((v) => sql.filter((p) => p.members.some((m) => m.vault === v.name)).length))).toBeGreaterThan(10);
    const kinds = new Set((t.arm.cosmosAccounts ?? []).map((a) => a.defaultIdentity?.split('=')[0]).filter((k) => k !== undefined));
    expect(kinds).toEqual(new Set(['FirstPartyIdentity', 'SystemAssignedIdentity', 'UserAssignedIdentity', 'FederatedIdentity']));
    expect(t.expected.protectors.filter((p) => p.kind === 'cosmos-always-encrypted').length).toBeGreaterThan(5);
    // System-assigned, user-assigned (as primary) and both.
    const servers = t.arm.servers ?? [];
    expect(servers.some((s) => s.principalId && !s.primaryUserAssignedIdentityId)).toBe(true);
    expect(servers.some((s) => !s.principalId && s.primaryUserAssignedIdentityId)).toBe(true);
    expect(servers.some((s) => s.principalId && s.primaryUserAssignedIdentityId)).toBe(true);
    expect(servers.flatMap((s) => s.databases ?? []).map((d) => d.tier)).toEqual(expect.arrayContaining(['GeneralPurpose', 'BusinessCritical']));
  });

  it('is deterministic: the same seed and sizes give the same topology, another seed another', () => {
    const o = { seed: 42, sqlServers: 30, cosmosAccounts: 8, vaults: 10 };
    expect(generateTopology(o)).toEqual(generateTopology(o));
    expect(generateTopology({ ...o, seed: 43 }).expected).not.toEqual(generateTopology(o).expected);
  });

  it('refuses sizes it cannot honour', () => {
    expect(() => generateTopology({ seed: 1, sqlServers: 1 })).toThrow(/cannot make groups of 2–5/);
    expect(() => generateTopology({ seed: 1, sqlServers: 5, groupSize: { min: 3, max: 4 } })).toThrow(/cannot make groups of 3–4/);
    expect(() => generateTopology({ seed: 1, vaults: 3 })).toThrow(/need 5 regions/);
  });
});
