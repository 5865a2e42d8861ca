// Re-discovery in the service against a fake Azure and the memory store: a run stores facts, overlay and run; a
// failover seen by a targeted run flips the roles of the estate in use on the writing instance at once and on another
// instance at its next poll; per subscription the later read wins; a failed read is recorded without touching the
// overlay; the version poll loads a record only when it changed.
import { describe, expect, it } from 'vitest';
import { EstateUnverifiedError } from '../../../app/estateSource.js';
import { BILLING, ORDERS, rolesOf, SUB_A, SUB_B } from './estate.js';
import { driftWorld, gate } from './support.js';

const T0 = Date.parse('2026-12-06T03:00:00Z');

const world = () => driftWorld(T0);

describe('rediscover', () => {
  it('a full run stores the facts, an overlay naming every matched protector, and the run; Azure as the file says changes no role', async () => {
    const w = world();
    const a = w.instance();
    const result = await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    expect(result.kind).toBe('stored');
    const record = a.source.discovery()?.record;
    expect(record?.seq).toBe(1);
    expect(Object.keys(record?.overlay?.protectors ?? {}).sort()).toEqual(['billing-sql', 'orders-sql']);
    expect(record?.lastRun).toMatchObject({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B], triggerCount: 0 });
    expect(record?.gatheredAt).toEqual({ [SUB_A]: new Date(T0).toISOString(), [SUB_B]: new Date(T0).toISOString() });
    expect(a.source.current().estate).toBe(w.file);
    expect(a.source.current().version).toBe('overlay:1');
  });

  it('after a failover a targeted run flips the roles on the writing instance at once, and on another once its poll interval has passed', async () => {
    const w = world();
    const a = w.instance(5_000);
    const b = w.instance(5_000);
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    await b.source.refresh();
    w.azure.options = { primary: { 'orders-sql': ORDERS.wus } };
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A] });
    expect(rolesOf(a.source.current().estate, 'orders-sql')).toEqual({ 'sql-orders-eus': 'secondary', 'sql-orders-wus': 'primary', 'sql-orders-neu': 'secondary' });
    expect(a.source.current().index.byResource.get(ORDERS.wus)?.[0]?.member.role).toBe('primary');
    // b checked the version just now: within the poll interval fresh() does not read again.
    expect(rolesOf((await b.source.fresh()).estate, 'orders-sql')['sql-orders-eus']).toBe('primary');
    w.tick(5_000);
    expect(rolesOf((await b.source.fresh()).estate, 'orders-sql')['sql-orders-eus']).toBe('secondary');
    expect(rolesOf(w.file, 'orders-sql')['sql-orders-eus']).toBe('primary');
  });

  it('a targeted read merges: billing’s secondary subscription keeps what the full read found', async () => {
    const w = world();
    const a = w.instance();
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    w.azure.options = { primary: { 'billing-sql': BILLING.b } };
    w.tick(1_000);
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_B] });
    const record = a.source.discovery()?.record;
    expect(record?.facts?.sqlServers.map((s) => s.id)).toEqual([...Object.values(BILLING), ...Object.values(ORDERS)].sort());
    expect(record?.gatheredAt[SUB_A]).toBe(new Date(T0).toISOString());
    expect(record?.gatheredAt[SUB_B]).toBe(new Date(T0 + 1_000).toISOString());
  });

  it('per subscription the later read wins: a slow full run finishing after a quick targeted one cannot put the old roles back', async () => {
    const w = world();
    const a = w.instance();
    const b = w.instance();
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    const slow = gate();
    w.azure.hold = slow.wait;
    w.tick(1_000);
    const full = a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] }); // reads the old topology
    await new Promise((r) => setImmediate(r));
    w.azure.hold = null;
    w.azure.options = { primary: { 'orders-sql': ORDERS.neu } };
    w.tick(1_000);
    await b.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A] });
    slow.open();
    expect((await full).kind).toBe('stored');
    await b.source.refresh();
    for (const instance of [a, b]) expect(rolesOf(instance.source.current().estate, 'orders-sql')['sql-orders-neu']).toBe('primary');
    expect(a.source.discovery()?.record.gatheredAt[SUB_B]).toBe(new Date(T0 + 1_000).toISOString());
    // A targeted read every subscription of which was read later since is superseded.
    const late = gate();
    w.azure.hold = late.wait;
    const stale = b.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_B] });
    await new Promise((r) => setImmediate(r));
    w.azure.hold = null;
    w.tick(1_000);
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_B] });
    late.open();
    expect(await stale).toEqual({ kind: 'superseded' });
  });

  it('a failed read is recorded (consecutive count, error) and leaves facts and overlay; the next success clears it', async () => {
    const w = world();
    const a = w.instance();
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    w.azure.options = { primary: { 'orders-sql': ORDERS.wus } };
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A] });
    const inUse = a.source.current();
    const overlay = a.source.discovery()?.record.overlay;
    w.azure.failWith = new Error('ARM said 503\nwith a second line');
    expect(await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] })).toEqual({ kind: 'failed', error: 'ARM said 503' });
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    const record = a.source.discovery()?.record;
    expect(record?.failure).toMatchObject({ consecutive: 2, error: 'ARM said 503', kind: 'full' });
    expect(record?.overlay).toEqual(overlay);
    expect((await w.store.load())?.record).toEqual(record);
    // Same overlay: the estate in use is the very same snapshot, not rebuilt.
    expect(a.source.current()).toBe(inUse);
    w.azure.failWith = null;
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    expect(a.source.discovery()?.record.failure).toBeNull();
  });

  it('polling loads the record only when its version changed; a record older than the one applied is ignored', async () => {
    const w = world();
    const a = w.instance();
    const b = w.instance();
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    const loadsBefore = w.store.loads;
    await b.source.refresh();
    await b.source.refresh();
    await b.source.refresh();
    expect(w.store.loads - loadsBefore).toBe(1);
    const first = b.source.discovery();
    w.azure.options = { primary: { 'orders-sql': ORDERS.wus } };
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A] });
    await b.source.refresh();
    if (first) b.source.adopt(first);
    expect(b.source.discovery()?.record.seq).toBe(2);
    expect(rolesOf(b.source.current().estate, 'orders-sql')['sql-orders-wus']).toBe('primary');
  });

  it('a recreated store starts a new history: its seq 1 replaces the seq 3 every instance held', async () => {
    const w = world();
    const a = w.instance(5_000);
    const b = w.instance(5_000);
    for (let i = 0; i < 3; i++) await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    await b.source.refresh();
    expect(b.source.discovery()?.record.seq).toBe(3);
    const oldEpoch = b.source.discovery()?.record.epoch;
    w.store.drop();
    w.azure.options = { primary: { 'orders-sql': ORDERS.wus } };
    w.tick(1_000);
    await a.run({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUB_A] });
    expect(a.source.discovery()?.record).toMatchObject({ seq: 1 });
    expect(a.source.discovery()?.record.epoch).not.toBe(oldEpoch);
    expect(rolesOf(a.source.current().estate, 'orders-sql')['sql-orders-wus']).toBe('primary');
    w.tick(5_000);
    expect(rolesOf((await b.source.fresh()).estate, 'orders-sql')['sql-orders-wus']).toBe('primary');
    // Later writes of the new history go on from it.
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    expect(a.source.discovery()?.record.seq).toBe(2);
  });

  it('a store that cannot be read leaves the estate in use as it was, but fresh() refuses to vouch for it until a check succeeds', async () => {
    const w = world();
    const a = w.instance();
    await a.run({ reason: 'schedule', kind: 'full', subscriptions: [SUB_A, SUB_B] });
    const before = a.source.current();
    const version = w.store.version.bind(w.store);
    w.store.version = async () => {
      throw new Error('table storage down');
    };
    w.tick(60_000);
    await expect(a.source.fresh()).rejects.toBeInstanceOf(EstateUnverifiedError);
    expect(a.source.current()).toBe(before);
    w.store.version = version;
    expect(await a.source.fresh()).toBe(before);
  });
});
