// The re-discovery scheduler: triggers within the debounce window make one targeted run of the union of their scopes;
// triggers already reflected by a later read make none; runs of one instance never overlap, and triggers arriving
// during a run are read by the next.
import { describe, expect, it } from 'vitest';
import type { DiscoveryTrigger } from '../../../domain/discovery/triggers.js';
import { BILLING, ORDERS, SUB_A, SUB_B } from './estate.js';
import { driftWorld, gate } from './support.js';

const T0 = Date.parse('2026-12-06T03:00:00Z');
const trigger = (resourceId: string, time: number, change: DiscoveryTrigger['change'] = 'failover'): DiscoveryTrigger => ({ resourceId, subscription: resourceId.split('/')[2] as string, change, time, operation: 'Microsoft.Sql/servers/failoverGroups/failover/action' });

function world() {
  const w = driftWorld(T0);
  return { ...w, a: w.instance() };
}

describe('RediscoveryScheduler', () => {
  it('triggers within the window make one targeted run of their groups’ subscriptions, after the window', async () => {
    const w = world();
    w.a.scheduler.notify([trigger(ORDERS.wus, T0 - 5_000)]);
    w.a.scheduler.notify([trigger(BILLING.a, T0 - 4_000, 'server-written'), trigger(ORDERS.wus, T0 - 3_000)]);
    expect(w.azure.reads).toEqual([]);
    expect([...w.a.timers.armed.values()].map((t) => t.ms)).toEqual([15_000]);
    expect(w.a.timers.fire()).toBe(1);
    await w.a.scheduler.settled();
    expect(w.azure.reads).toEqual([[SUB_A, SUB_B]]);
    expect(w.a.source.discovery()?.record.lastRun).toMatchObject({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A, SUB_B], triggerCount: 2 });
  });

  it('triggers older than the last read of their subscriptions (a redelivery, reconcile’s re-ingest) make no run', async () => {
    const w = world();
    await w.a.scheduler.runFull('schedule');
    w.tick(1_000);
    w.a.scheduler.notify([trigger(ORDERS.eus, T0 - 60_000), trigger(BILLING.b, T0 - 1)]);
    w.a.timers.fire();
    await w.a.scheduler.settled();
    expect(w.azure.reads).toHaveLength(1);
    // One newer than the read of its subscription is read again, alone.
    w.a.scheduler.notify([trigger(BILLING.b, T0 + 500), trigger(ORDERS.eus, T0 - 60_000)]);
    w.a.timers.fire();
    await w.a.scheduler.settled();
    expect(w.azure.reads.at(-1)).toEqual([SUB_A, SUB_B]);
  });

  it('an operation in a subscription discovery does not watch reads nothing', async () => {
    const w = world();
    w.a.scheduler.notify([trigger('/subscriptions/cccccccc-0000-4000-8000-00000000000c/resourcegroups/rg/providers/microsoft.sql/servers/sql-elsewhere', T0 + 1)]);
    w.a.timers.fire();
    await w.a.scheduler.settled();
    expect(w.azure.reads).toEqual([]);
  });

  it('runs of one instance never overlap: a trigger during a run is read by the next run, after it', async () => {
    const w = world();
    const slow = gate();
    w.azure.hold = slow.wait;
    const full = w.a.scheduler.runFull('schedule');
    w.a.scheduler.notify([trigger(BILLING.b, T0 + 1)]);
    w.a.timers.fire();
    // Every fake here settles in microtasks: one macrotask turn lets any run the trigger could start begin — and none did.
    await new Promise((r) => setImmediate(r));
    expect(w.azure.reads).toHaveLength(1);
    w.azure.hold = null;
    w.tick(2_000);
    slow.open();
    await full;
    await w.a.scheduler.settled();
    expect(w.azure.reads).toEqual([[SUB_A, SUB_B], [SUB_A, SUB_B]]);
    expect(w.a.source.discovery()?.record.seq).toBe(2);
  });

  it('a failing run does not stop the next; close() drops what is pending', async () => {
    const w = world();
    w.azure.failWith = new Error('ARM down');
    expect((await w.a.scheduler.runFull('schedule')).kind).toBe('failed');
    w.azure.failWith = null;
    expect((await w.a.scheduler.runFull('schedule')).kind).toBe('stored');
    w.a.scheduler.notify([trigger(ORDERS.eus, T0 + 10)]);
    w.a.scheduler.close();
    expect(w.a.timers.armed.size).toBe(0);
    w.a.scheduler.notify([trigger(ORDERS.eus, T0 + 10)]);
    expect(w.a.timers.armed.size).toBe(0);
  });
});
