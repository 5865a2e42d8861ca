// Activity-log records that call for a re-discovery: the geo-replication operations are normalised from the real Event
// Hubs shape, only a succeeded operation triggers (a Start alone or a Failure never does, in any order or split), and
// the scope is the affected group's subscriptions — not the tenant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../../domain/events/keyEvent.js';
import { discoveryTriggers, rediscoveryScope, type DiscoveryTrigger } from '../../../domain/discovery/triggers.js';
import { normaliseRecord } from '../../../domain/normalise/index.js';
import { armRecords, databaseWrite, failoverGroupFailover, protectorWrite, replicationLinkDelete, serverId, serverIdentityNone, SUBSCRIPTION, type ArmOperation, type Json } from '../../support/armRecords.js';
import { contoso, EUS_SERVER, estateFrom, SUB, WUS_SERVER } from '../../support/estates.js';
import { sqlServerFacts } from '../../support/discoveryFacts.js';

const T0 = Date.parse('2026-12-06T03:00:00Z');
const s = (seconds: number): number => T0 + seconds * 1000;
const timing = (n: number, outcome: ArmOperation['outcome'] = 'success') => ({ correlationId: `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`, startAt: s(n * 10), endAt: s(n * 10 + 5), outcome });

function eventsOf(records: readonly Json[]): KeyEvent[] {
  return records.flatMap((r) => {
    const n = normaliseRecord(r);
    if (n.status !== 'ok') throw new Error(`record not normalised: ${n.status} ${n.reason}`);
    return [...n.events];
  });
}

const triggersOf = (...ops: ArmOperation[]): DiscoveryTrigger[] => discoveryTriggers(eventsOf(ops.flatMap((op, i) => armRecords(op, i))));
const summary = (ts: readonly DiscoveryTrigger[]): string[] => ts.map((t) => `${t.change} ${t.resourceId.slice(t.resourceId.lastIndexOf('/') + 1)}`);

describe('geo-replication operations normalised', () => {
  it('a failover group failover → sql-geo-change on the server it was posted to, lower-cased, every phase kept for judging', () => {
    const records = armRecords(failoverGroupFailover({ ...timing(1), server: 'sql-orders-wus', group: 'fg-orders' }));
    const events = eventsOf(records);
    expect(events.map((e) => (e.kind === 'sql-geo-change' ? [e.phase, e.change, e.server, e.resourceId] : e.kind))).toEqual(
      ['start', 'start', 'success'].map((phase) => [phase, 'failover', WUS_SERVER, `${WUS_SERVER}/failovergroups/fg-orders`]),
    );
  });

  it('a database write keeps its createMode from the request body (Start record); the Success record has none', () => {
    const events = eventsOf(armRecords(databaseWrite({ ...timing(1), server: 'sql-orders-wus', database: 'orders', createMode: 'Secondary' })));
    expect(events.map((e) => (e.kind === 'sql-geo-change' ? e.createMode : null))).toEqual(['secondary', null, null]);
  });
});

describe('discoveryTriggers', () => {
  it.each<[string, ArmOperation, string[]]>([
    ['failover group failover', failoverGroupFailover({ ...timing(1), server: 'sql-orders-wus', group: 'fg-orders' }), ['failover sql-orders-wus']],
    ['forced failover', failoverGroupFailover({ ...timing(1), server: 'sql-orders-wus', group: 'fg-orders', forced: true }), ['forced-failover sql-orders-wus']],
    ['geo-secondary created', databaseWrite({ ...timing(1), server: 'sql-orders-neu', database: 'orders', createMode: 'Secondary' }), ['link-created sql-orders-neu']],
    ['an ordinary database write', databaseWrite({ ...timing(1), server: 'sql-orders-eus', database: 'orders', createMode: 'Default' }), []],
    ['replication link removed', replicationLinkDelete({ ...timing(1), server: 'sql-orders-eus', database: 'orders', link: 'f0550bf5-07ce-4270-8e4b-71737975973a' }), ['link-removed sql-orders-eus']],
    ['server identity written', serverIdentityNone({ ...timing(1), server: 'sql-orders-eus' }), ['server-written sql-orders-eus']],
    ['encryption protector written', protectorWrite({ ...timing(1), server: 'sql-orders-eus', vault: 'kv-a', key: 'k', version: 'b'.repeat(32) }), ['protector-written sql-orders-eus']],
  ])('%s (Success)', (_name, op, expected) => {
    expect(summary(triggersOf(op))).toEqual(expected);
  });

  it('dated at the Success record, in the operation’s subscription', () => {
    const [t] = triggersOf(failoverGroupFailover({ ...timing(2), server: 'sql-orders-wus', group: 'fg-orders' }));
    expect(t).toMatchObject({ time: s(25), subscription: SUBSCRIPTION, resourceId: WUS_SERVER, operation: 'Microsoft.Sql/servers/failoverGroups/failover/action' });
  });

  it('a Start alone (still running) or a Failure triggers nothing', () => {
    expect(triggersOf(failoverGroupFailover({ ...timing(1, 'pending'), server: 'sql-orders-wus', group: 'fg-orders' }))).toEqual([]);
    expect(triggersOf(failoverGroupFailover({ ...timing(1, 'failure'), server: 'sql-orders-wus', group: 'fg-orders' }))).toEqual([]);
  });

  it('a Success record arriving without its Start (another batch) still triggers; a write whose body is unknown may be a geo-secondary', () => {
    const records = armRecords(databaseWrite({ ...timing(1), server: 'sql-orders-neu', database: 'orders', createMode: 'Default' }));
    expect(summary(discoveryTriggers(eventsOf(records.slice(-1))))).toEqual(['link-created sql-orders-neu']);
    expect(summary(discoveryTriggers(eventsOf(records)))).toEqual([]);
  });

  it('property: any order, duplication or split into batches of the records gives the same triggers as the whole set', () => {
    const ops: ArmOperation[] = [
      failoverGroupFailover({ ...timing(1), server: 'sql-orders-wus', group: 'fg-orders' }),
      failoverGroupFailover({ ...timing(2, 'failure'), server: 'sql-orders-eus', group: 'fg-orders' }),
      databaseWrite({ ...timing(3), server: 'sql-orders-neu', database: 'orders', createMode: 'Default' }),
      databaseWrite({ ...timing(4), server: 'sql-orders-neu', database: 'billing', createMode: 'Secondary' }),
      // One correlation (a template deployment) spanning two operations: each judged on its own.
      { ...serverIdentityNone({ ...timing(5), server: 'sql-orders-eus' }), correlationId: 'c0ffee00-0000-4000-8000-000000000099' },
      { ...replicationLinkDelete({ ...timing(5, 'failure'), server: 'sql-orders-eus', database: 'orders', link: 'l1' }), correlationId: 'c0ffee00-0000-4000-8000-000000000099' },
    ];
    const records = ops.flatMap((op, i) => armRecords(op, i));
    const whole = discoveryTriggers(eventsOf(records));
    expect(summary(whole)).toEqual(['failover sql-orders-wus', 'link-created sql-orders-neu', 'server-written sql-orders-eus']);
    fc.assert(
      fc.property(fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }), fc.array(fc.nat(records.length - 1), { maxLength: 6 }), (shuffled, dups) => {
        expect(discoveryTriggers(eventsOf([...shuffled, ...dups.map((i) => records[i] as Json)]))).toEqual(whole);
      }),
    );
  });
});

describe('rediscoveryScope', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';
  const PID = '44444444-4444-4444-8444-444444444444';
  const srv = (sub: string, name: string): string => `/subscriptions/${sub}/resourcegroups/rg/providers/microsoft.sql/servers/${name}`;
  // orders spans subscriptions A and B; billing lives in C alone.
  const estate = estateFrom({
    vaults: [{ name: 'kv-a' }, { name: 'kv-b' }, { name: 'kv-c' }],
    protectors: [
      { id: 'orders', kind: 'sql-tde', keyName: 'k', members: [{ role: 'primary', resourceId: srv(A, 'sql-o-a'), vault: 'kv-a', principalId: PID }, { role: 'secondary', resourceId: srv(B, 'sql-o-b'), vault: 'kv-b', principalId: PID }] },
      { id: 'billing', kind: 'sql-tde', keyName: 'k', members: [{ role: 'primary', resourceId: srv(C, 'sql-b-c'), vault: 'kv-c', principalId: PID }] },
    ],
  });
  const trigger = (resourceId: string, time: number): DiscoveryTrigger => ({ resourceId, subscription: resourceId.split('/')[2] as string, change: 'failover', time, operation: 'x' });

  it('a failover of an estate member reads every subscription of its protector, each dated by the latest trigger', () => {
    expect(Object.fromEntries(rediscoveryScope([trigger(srv(B, 'sql-o-b'), 5), trigger(srv(A, 'sql-o-a'), 9)], estate, null))).toEqual({ [A]: 9, [B]: 9 });
  });

  it('an unmanaged server reads its own subscription and those of the geo partners discovery last saw', () => {
    const unmanaged = srv(C, 'sql-x');
    const facts = { sqlServers: [sqlServerFacts({ id: unmanaged, vault: 'kv-c', key: 'k', principalId: null, links: [{ partner: srv(B, 'sql-y'), role: 'primary', partnerRole: 'secondary', via: 'failover-group:fg-x' }] })] };
    expect(Object.fromEntries(rediscoveryScope([trigger(unmanaged, 3)], estate, facts))).toEqual({ [C]: 3, [B]: 3 });
    expect(Object.fromEntries(rediscoveryScope([trigger(unmanaged, 3)], estate, null))).toEqual({ [C]: 3 });
  });

  it('nothing to read without triggers; the contoso group stays in its one subscription', () => {
    expect(rediscoveryScope([], estate, null).size).toBe(0);
    expect([...rediscoveryScope([trigger(EUS_SERVER, 1)], contoso(), null).keys()]).toEqual([SUB.split('/')[2]]);
    expect(serverId('x')).toContain(SUBSCRIPTION);
  });
});
