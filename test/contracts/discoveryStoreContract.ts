// The DiscoveryStore contract (app/drift/ports.ts): create-only and compare-and-set saves, exact round trips of the
// record (the facts' identity Maps included, records larger than one Table entity included), and two handles on one
// store — two instances — seeing each other's writes. Every implementation runs this same suite.
import { describe, expect, it } from 'vitest';
import type { DiscoveryRecord, DiscoveryStore } from '../../app/drift/ports.js';
import type { DiscoveryFacts } from '../../domain/discovery/facts.js';
import { sqlServerFacts } from '../support/discoveryFacts.js';

const SUB = '3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f';
const server = (n: number): string => `/subscriptions/${SUB}/resourcegroups/rg-${n % 7}/providers/microsoft.sql/servers/sql-${String(n).padStart(5, '0')}-é`;

/** Facts of `servers` geo-paired servers (each with a user-assigned identity too, so the Maps are exercised). */
export function factsOfSize(servers: number): DiscoveryFacts {
  const sqlServers = Array.from({ length: servers }, (_, n) => {
    const base = sqlServerFacts({ id: server(n), vault: `kv-${n % 40}`, key: 'tde', principalId: `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`, links: [{ partner: server(n ^ 1), role: n % 2 === 0 ? 'primary' : 'secondary', partnerRole: n % 2 === 0 ? 'secondary' : 'primary', via: `failover-group:fg-${n >> 1}` }] });
    return { ...base, identity: { ...base.identity, userAssigned: new Map<string, string | null>([[`${server(n)}-uai`, null], [`${server(n)}-uai2`, '11111111-0000-4000-8000-000000000000']]) } };
  });
  return { subscriptions: [SUB], sqlServers, cosmosAccounts: [], vaults: [], keys: [{ vault: 'kv-0', name: 'tde', expires: null, autoRotate: false }], gaps: [{ scope: 'vault kv-x', reason: 'not found' }] };
}

export function discoveryRecord(seq: number, facts: DiscoveryFacts | null = factsOfSize(2)): DiscoveryRecord {
  return {
    seq,
    epoch: 'e-contract',
    facts,
    gatheredAt: { [SUB]: '2026-12-06T03:00:00.000Z' },
    overlay: facts ? { discoveredAt: '2026-12-06T03:00:05.000Z', protectors: { orders: [{ resourceId: server(1), role: 'primary', principalId: null }, { resourceId: server(0), role: 'secondary', principalId: 'p' }] } } : null,
    lastRun: { reason: 'activity-log', kind: 'targeted', subscriptions: [SUB], startedAt: '2026-12-06T03:00:00.000Z', finishedAt: '2026-12-06T03:00:05.000Z', triggers: [{ resourceId: server(1), subscription: SUB, change: 'failover', time: 1, operation: 'Microsoft.Sql/servers/failoverGroups/failover/action' }], triggerCount: 1 },
    failure: null,
  };
}

export interface StorePair {
  /** Two handles on one store, as two instances of the service hold them. */
  readonly a: DiscoveryStore;
  readonly b: DiscoveryStore;
}

export function discoveryStoreContract(name: string, make: () => StorePair | Promise<StorePair>): void {
  describe(`DiscoveryStore contract: ${name}`, () => {
    it('nothing stored: no version, loads as null', async () => {
      const { a } = await make();
      expect(await a.version()).toBeNull();
      expect(await a.load()).toBeNull();
    });

    it('creates when absent; loads exactly what was saved, at the version the save returned, from either handle', async () => {
      const { a, b } = await make();
      const record = discoveryRecord(1);
      const saved = await a.save(record, null);
      expect(saved.ok).toBe(true);
      const version = saved.ok ? saved.version : '';
      expect(await b.version()).toBe(version);
      const loaded = await b.load();
      expect(loaded).toEqual({ record, version });
      expect(loaded?.record.facts?.sqlServers[0]?.identity.userAssigned).toBeInstanceOf(Map);
      expect(await a.save(discoveryRecord(2), null)).toEqual({ ok: false, reason: 'conflict' });
    });

    it('replaces only at the current version; a stale writer is refused and changes nothing', async () => {
      const { a, b } = await make();
      const first = await a.save(discoveryRecord(1), null);
      if (!first.ok) throw new Error('create failed');
      const second = await b.save(discoveryRecord(2, factsOfSize(4)), first.version);
      if (!second.ok) throw new Error('replace failed');
      expect(second.version).not.toBe(first.version);
      expect(await a.save(discoveryRecord(3), first.version)).toEqual({ ok: false, reason: 'conflict' });
      expect((await a.load())?.record).toEqual(discoveryRecord(2, factsOfSize(4)));
    });

    it('of two writers at the same version exactly one wins', async () => {
      const { a, b } = await make();
      const first = await a.save(discoveryRecord(1), null);
      if (!first.ok) throw new Error('create failed');
      const results = await Promise.all([a.save(discoveryRecord(2, factsOfSize(6)), first.version), b.save(discoveryRecord(2, factsOfSize(8)), first.version)]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = results[0]?.ok ? factsOfSize(6) : factsOfSize(8);
      expect((await b.load())?.record.facts).toEqual(winner);
    });

    it('a change of the small part only (a failed run) is seen by the other handle, the facts unchanged', async () => {
      const { a, b } = await make();
      const first = await a.save(discoveryRecord(1), null);
      if (!first.ok) throw new Error('create failed');
      expect((await b.load())?.version).toBe(first.version);
      const failed: DiscoveryRecord = { ...discoveryRecord(2), failure: { at: '2026-12-06T04:00:00.000Z', error: 'ARM 503', consecutive: 1, kind: 'full', subscriptions: [SUB] } };
      const second = await a.save(failed, first.version);
      if (!second.ok) throw new Error('replace failed');
      expect(await b.version()).toBe(second.version);
      expect(await b.load()).toEqual({ record: failed, version: second.version });
    });

    it('a record larger than one Table entity (1,500 servers) round-trips, and so does one without facts', async () => {
      const { a, b } = await make();
      const big = discoveryRecord(1, factsOfSize(1500));
      expect(JSON.stringify(big, (_k, v: unknown) => (v instanceof Map ? [...v] : v)).length).toBeGreaterThan(1024 * 1024);
      const saved = await a.save(big, null);
      if (!saved.ok) throw new Error('create failed');
      expect((await b.load())?.record).toEqual(big);
      const empty = discoveryRecord(2, null);
      const replaced = await b.save(empty, saved.version);
      expect(replaced.ok).toBe(true);
      expect((await a.load())?.record).toEqual(empty);
    });
  });
}
