// The gather step over the in-memory inventory: it reads back exactly the estate the world holds (facts and the
// protectors they make), records what Azure refuses as gaps and goes on, reports progress, and makes a constant
// number of calls per server — so the call count is linear in the estate.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discover, type DiscoveryProgress } from '../../../app/discovery/discover.js';
import { MemoryArmInventory, type InventoryWorld } from '../../../app/discovery/memoryInventory.js';
import { buildWorld, subscriptionId, topologyOf, worldSpecArb, type WorldSpec } from '../../support/discoveryWorld.js';

const run = (world: InventoryWorld, request = {}, onProgress?: (p: DiscoveryProgress) => void) => {
  const arm = new MemoryArmInventory(world);
  return { arm, result: discover({ arm, keys: arm, concurrency: { subscriptions: 2, resources: 3 }, ...(onProgress ? { onProgress } : {}) }, request) };
};

const byId = <T extends { id: string }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('discover over the in-memory inventory', () => {
  it('any world: the facts read are the world’s, the protectors are the generated ones, and nothing is a gap', async () => {
    await fc.assert(
      fc.asyncProperty(worldSpecArb(), async (spec) => {
        const { world, expected } = buildWorld(spec);
        const { result } = run(world);
        const { facts, estate } = await result;
        expect(facts.gaps).toEqual([]);
        expect(facts.subscriptions).toEqual(world.subscriptions.map((s) => s.id));
        expect(facts.sqlServers).toEqual(byId(world.subscriptions.flatMap((s) => s.sqlServers)));
        expect(facts.cosmosAccounts).toEqual(byId(world.subscriptions.flatMap((s) => s.cosmosAccounts)));
        expect(facts.keys).toEqual([...world.keys].sort((a, b) => (`${a.vault}/${a.name}` < `${b.vault}/${b.name}` ? -1 : 1)));
        expect(topologyOf(estate.protectors)).toEqual(expected);
        expect(estate.findings.filter((f) => f.code.startsWith('geo_') || f.code === 'vault_not_discovered')).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('a subscription that refuses (403) is a gap; the others are read, and a geo partner in it is named as not discovered', async () => {
    const spec: WorldSpec = { subscriptions: 2, groups: [{ size: 2, primaryIndex: 0, failoverGroup: true, userAssigned: [false, false], subs: [0, 1] }], instancePairs: 0, cosmos: [] };
    const { world } = buildWorld(spec);
    const { facts, estate } = await run({ ...world, forbidden: [subscriptionId(1)] }).result;
    expect(facts.subscriptions).toEqual([subscriptionId(0)]);
    // The failover group still names the protector (its id does not depend on what a read reached), and its roles are
    // not certain: half the group was not read.
    expect(estate.protectors.map((p) => [p.id, p.members.length, p.rolesCertain])).toEqual([['fg-0', 1, false]]);
    expect(estate.findings.map((f) => f.code)).toContain('geo_partner_not_discovered');

    // Named explicitly, the refused subscription is tried and its five listings are gaps.
    const named = await run({ ...world, forbidden: [subscriptionId(1)] }, { subscriptions: [subscriptionId(0), subscriptionId(1).toUpperCase()] }).result;
    expect(named.facts.gaps.map((g) => g.scope)).toEqual([
      `/subscriptions/${subscriptionId(1)}/providers/microsoft.documentdb/databaseaccounts`,
      `/subscriptions/${subscriptionId(1)}/providers/microsoft.keyvault/managedhsms`,
      `/subscriptions/${subscriptionId(1)}/providers/microsoft.keyvault/vaults`,
      `/subscriptions/${subscriptionId(1)}/providers/microsoft.sql/managedinstances`,
      `/subscriptions/${subscriptionId(1)}/providers/microsoft.sql/servers`,
    ]);
    expect(named.facts.gaps.every((g) => g.reason.startsWith('403'))).toBe(true);
  });

  it('a server whose protector cannot be read is left out (not shown as service-managed); a key in a vault no subscription holds is a gap', async () => {
    const spec: WorldSpec = { subscriptions: 1, groups: [{ size: 2, primaryIndex: 0, failoverGroup: false, userAssigned: [false, true], subs: [0, 0] }], instancePairs: 0, cosmos: [{ cmk: true, aeDatabases: 0, userAssigned: false }] };
    const { world } = buildWorld(spec);
    const hidden = world.subscriptions[0]?.sqlServers[1]?.id as string;
    const sub0 = world.subscriptions[0] as InventoryWorld['subscriptions'][number];
    const withoutCosmosVault = { ...world, subscriptions: [{ ...sub0, vaults: sub0.vaults.filter((v) => v.name !== 'kv-c0') }], forbidden: [hidden] };
    const { facts, estate } = await run(withoutCosmosVault).result;
    expect(facts.sqlServers.map((s) => s.name)).toEqual(['sql-g0-m0']);
    expect(facts.gaps).toEqual([
      { scope: hidden, reason: expect.stringMatching(/^encryption protector: 403/) },
      { scope: 'vault kv-c0', reason: expect.stringContaining('another tenant') },
    ]);
    expect(estate.findings.map((f) => f.code).sort()).toEqual(['geo_partner_not_discovered', 'vault_not_discovered']);
  });

  it('Always Encrypted keys the caller cannot read: the account is kept with unknown keys, and the refusal is a gap', async () => {
    const { world } = buildWorld({ subscriptions: 1, groups: [], instancePairs: 0, cosmos: [{ cmk: true, aeDatabases: 1, userAssigned: false }] });
    const account = world.subscriptions[0]?.cosmosAccounts[0]?.id as string;
    const { facts, estate } = await run({ ...world, forbidden: [account] }).result;
    expect(facts.cosmosAccounts.map((a) => a.clientEncryptionKeys)).toEqual([null]);
    expect(facts.gaps.map((g) => g.scope)).toEqual([`${account}/sqldatabases/clientencryptionkeys`]);
    expect(estate.protectors.map((p) => p.kind)).toEqual(['cosmos-cmk']);
  });

  it('replication links name partners by server name: resolved across subscriptions', async () => {
    const { world, expected } = buildWorld({ subscriptions: 3, groups: [{ size: 3, primaryIndex: 2, failoverGroup: false, userAssigned: [false, false, false], subs: [2, 0, 1] }], instancePairs: 0, cosmos: [] });
    const { estate } = await run(world).result;
    expect(topologyOf(estate.protectors)).toEqual(expected);
  });

  it('progress: subscriptions read and servers found only grow, and end at the totals', async () => {
    const { world } = buildWorld({ subscriptions: 3, groups: Array.from({ length: 40 }, (_, i) => ({ size: 2, primaryIndex: 0, failoverGroup: i % 2 === 0, userAssigned: [false, false], subs: [i % 3, (i + 1) % 3] })), instancePairs: 1, cosmos: [] });
    const seen: DiscoveryProgress[] = [];
    await run(world, {}, (p) => seen.push(p)).result;
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1] as DiscoveryProgress, seen[i] as DiscoveryProgress];
      expect(b.subscriptions.read).toBeGreaterThanOrEqual(a.subscriptions.read);
      expect(b.servers.found).toBeGreaterThanOrEqual(a.servers.found);
      expect(b.servers.read).toBeGreaterThanOrEqual(a.servers.read);
    }
    expect(seen[0]).toMatchObject({ phase: 'subscriptions', subscriptions: { read: 0, total: 3 } });
    expect(seen.at(-1)).toMatchObject({ phase: 'done', subscriptions: { read: 3, total: 3 }, servers: { found: 82, read: 82 } });
    expect(seen.filter((p) => p.phase === 'subscriptions').map((p) => p.subscriptions.read)).toEqual([0, 1, 2, 3]);
  });

  it('ARM requests in flight: never more than the limit per subscription, nor four times it in all, however the reads nest', async () => {
    const { world } = buildWorld({ subscriptions: 5, groups: Array.from({ length: 30 }, (_, i) => ({ size: 3, primaryIndex: 0, failoverGroup: i % 2 === 0, userAssigned: [false, false, false], subs: [i % 5, i % 5, (i + 1) % 5] })), instancePairs: 1, cosmos: [{ cmk: true, aeDatabases: 2, userAssigned: false }] });
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    let total = 0;
    let mostTotal = 0;
    class Slow extends MemoryArmInventory {
      override async encryptionProtector(...a: Parameters<MemoryArmInventory['encryptionProtector']>) {
        return this.slowly(a[0].subscriptionId, () => super.encryptionProtector(...a));
      }
      override async databases(...a: Parameters<MemoryArmInventory['databases']>) {
        return this.slowly(a[0].subscriptionId, () => super.databases(...a));
      }
      override async replicationLinks(...a: Parameters<MemoryArmInventory['replicationLinks']>) {
        return this.slowly(a[0].subscriptionId, () => super.replicationLinks(...a));
      }
      override async clientEncryptionKeys(...a: Parameters<MemoryArmInventory['clientEncryptionKeys']>) {
        return this.slowly(a[0].subscriptionId, () => super.clientEncryptionKeys(...a));
      }
      private async slowly<T>(sub: string, fn: () => Promise<T>): Promise<T> {
        inFlight.set(sub, (inFlight.get(sub) ?? 0) + 1);
        most.set(sub, Math.max(most.get(sub) ?? 0, inFlight.get(sub) ?? 0));
        mostTotal = Math.max(mostTotal, ++total);
        await new Promise((r) => setTimeout(r, 1));
        inFlight.set(sub, (inFlight.get(sub) ?? 0) - 1);
        total--;
        return fn();
      }
    }
    const arm = new Slow(world);
    const { facts } = await discover({ arm, keys: arm, concurrency: { subscriptions: 5, resources: 1 } });
    expect(facts.sqlServers).toHaveLength(92);
    // Each subscription reads at its bound, and four subscriptions at once (four times the bound in all).
    expect([...most.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(mostTotal).toBe(4);
  });

  it('calls: at most one per method and scope, at most four per server — linear in the estate for any world', async () => {
    await fc.assert(
      fc.asyncProperty(worldSpecArb({ maxGroups: 30 }), async (spec) => {
        const { world } = buildWorld(spec);
        const { arm, result } = run(world);
        const { facts } = await result;
        expect([...arm.callsByScope.entries()].filter(([, n]) => n !== 1)).toEqual([]);
        const servers = facts.sqlServers.length;
        const perServer = ['encryptionProtector', 'failoverGroupLinks', 'replicationLinks', 'databases'].reduce((n, m) => n + (arm.calls.get(m) ?? 0), 0);
        expect(perServer).toBeLessThanOrEqual(4 * servers);
        const accounts = facts.cosmosAccounts.length;
        const bound = 1 + 5 * facts.subscriptions.length + 4 * servers + servers /* instance groups: ≤ 1 per instance */ + accounts + 2 * facts.keys.length;
        expect(arm.totalCalls).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 60 },
    );
  });
});
