// Ingestion under hostile and failing conditions (I4): a store that fails midway fails the whole delivery (nothing
// acknowledged, no alert), and the redelivery ends exactly where a clean delivery would; writes are bounded in
// flight however many records or protectors a delivery touches; JSON nested past the bound is poisoned, never
// a stack overflow, whether it arrives as text or already parsed.
import { describe, expect, it } from 'vitest';
import { ingestMessages, poisonMessages, type IngestDeps } from '../../app/ingestion.js';
import { sweep } from '../../app/sweep.js';
import { MemoryPoisonStore } from '../../app/fakes/memoryPoisonStore.js';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import type { PoisonRecord, PoisonStore, StateStore, StateRange } from '../../app/ports.js';
import { MAX_JSON_DEPTH } from '../../app/jsonInput.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import { contoso, estateFrom, readFixture } from '../support/estates.js';
import { harness, message } from '../support/appHarness.js';

const START = '2026-03-03T02:18:30Z';
const estate = contoso();
const denial = readFixture('keyvault-audit/unwrap-forbidden-rbac.envelope.json');
const roleDelete = readFixture('activity-log/role-assignment-delete.envelope.json');
const malformed = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ x: i }));

/** Stores the first `okWrites` records it is given, then fails: a Table batch that broke partway through. */
class FailingPoisonStore implements PoisonStore {
  readonly inner = new MemoryPoisonStore();
  constructor(private okWrites: number) {}
  async put(record: PoisonRecord): Promise<void> {
    await this.putMany([record]);
  }
  async putMany(records: readonly PoisonRecord[]): Promise<void> {
    const stored = records.slice(0, this.okWrites);
    await this.inner.putMany(stored);
    this.okWrites -= stored.length;
    if (stored.length < records.length) throw new Error('table storage: connection reset');
  }
  list(limit?: number): Promise<PoisonRecord[]> {
    return this.inner.list(limit);
  }
}

/** Saves the first `okSaves` snapshots, then every save fails; counts loads and saves in flight. */
class FailingStateStore implements StateStore {
  readonly inner = new MemoryStateStore();
  inFlight = 0;
  mostInFlight = 0;
  constructor(private okSaves = Number.POSITIVE_INFINITY) {}
  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 1));
      return await work();
    } finally {
      this.inFlight--;
    }
  }
  load(id: string) {
    return this.track(() => this.inner.load(id));
  }
  save(id: string, snapshot: ProtectorSnapshot, etag: string | null) {
    return this.track(async () => {
      if (this.okSaves <= 0) throw new Error('table storage: 503 server busy');
      this.okSaves--;
      return this.inner.save(id, snapshot, etag);
    });
  }
  list(range: StateRange) {
    return this.track(() => this.inner.list(range));
  }
}

describe('a delivery is applied and poisoned in full, or fails whole (I4)', () => {
  it('a poison store failing midway fails the delivery before any state is written or alert sent; the redelivery ends as a clean one', async () => {
    const batch = [message(roleDelete), message(malformed(1_000)), message(denial)];
    const clean = harness(estate, START);
    const cleanSummary = await ingestMessages(clean.deps, batch);
    expect(cleanSummary).toMatchObject({ rejected: 1_000, protectorsChanged: 1, alertsClaimed: 1 });

    const h = harness(estate, START);
    const failing = new FailingPoisonStore(350);
    await expect(ingestMessages({ ...h.deps, poison: failing }, batch)).rejects.toThrow('connection reset');
    expect(await failing.list(10_000)).toHaveLength(350);
    expect(await h.state.load('orders-sql')).toBeNull();
    expect(h.notifier.sent).toEqual([]);

    // The sender retries the whole delivery (Event Grid: 5xx; Event Hubs: the host re-runs the batch).
    const retried = await ingestMessages({ ...h.deps, poison: failing.inner }, batch);
    expect(retried).toEqual(cleanSummary);
    expect(await failing.inner.list(10_000)).toEqual(await clean.poison.list(10_000));
    expect((await h.state.load('orders-sql'))?.snapshot).toEqual((await clean.state.load('orders-sql'))?.snapshot);
    expect(h.notifier.sent.map((m) => m.subject)).toEqual(clean.notifier.sent.map((m) => m.subject));
  });

  it('a state store failing midway fails the delivery with no alert claimed; the redelivery and the sweep end as a clean delivery', async () => {
    const many = manyProtectors(40);
    const batch = [message(denials(40))];
    const clean = harness(many, START);
    await ingestMessages(clean.deps, batch);
    await sweep({ estates: clean.deps.estates, state: clean.state, alerts: clean.alerts });

    const h = harness(many, START);
    const failing = new FailingStateStore(10);
    await expect(ingestMessages({ ...h.deps, state: failing }, batch)).rejects.toThrow('server busy');
    expect(h.notifier.sent).toEqual([]);

    const healthy = { ...h.deps, state: failing.inner };
    await ingestMessages(healthy, batch);
    await sweep({ estates: healthy.estates, state: healthy.state, alerts: h.alerts });
    for (const p of many.protectors) expect((await failing.inner.load(p.id))?.snapshot).toEqual((await clean.state.load(p.id))?.snapshot);
    // The protectors saved before the failure are unchanged by the redelivery: their alerts come from the sweep.
    expect(clean.notifier.sent.length).toBeGreaterThan(0);
    expect(announced(h.notifier.sent)).toEqual(announced(clean.notifier.sent));
  });
});

describe('bounded fan-out', () => {
  it('100,000 malformed records are one batched poison write, every record stored', async () => {
    const h = harness(estate, START);
    const calls: number[] = [];
    const counting: PoisonStore = {
      put: (r) => h.poison.put(r),
      putMany: (rs) => {
        calls.push(rs.length);
        return h.poison.putMany(rs);
      },
      list: (l) => h.poison.list(l),
    };
    const summary = await ingestMessages({ ...h.deps, poison: counting }, [message(malformed(100_000), 'eventgrid-x')]);
    expect(summary).toMatchObject({ records: 100_000, rejected: 100_000 });
    expect(calls).toEqual([100_000]);
    const stored = await h.poison.list(200_000);
    expect(stored).toHaveLength(100_000);
    expect(new Set(stored.map((p) => p.recordIndex)).size).toBe(100_000);
  });

  it('a delivery touching 120 protectors keeps at most 16 state requests in flight', async () => {
    const many = manyProtectors(120);
    const h = harness(many, START);
    const state = new FailingStateStore();
    const summary = await ingestMessages({ ...h.deps, state }, [message(newVersions(120))]);
    expect(summary.protectorsChanged).toBe(120);
    expect(state.mostInFlight).toBeGreaterThan(1);
    expect(state.mostInFlight).toBeLessThanOrEqual(16);
  });
});

describe('JSON nested past the bound', () => {
  const deepArrays = `${'['.repeat(524_288)}${']'.repeat(524_288)}`;
  const deepObjects = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;

  it('as message text (1 MB): one poison record with the reason and the start of the raw text', async () => {
    const h = harness(estate, START);
    const summary = await ingestMessages(h.deps, [message(deepArrays, '9'), message(Buffer.from(deepObjects), '9'), message(denial, '9')]);
    expect(summary).toMatchObject({ records: 3, rejected: 2, matched: 1 });
    const poison = await h.poison.list();
    expect(poison.map((p) => p.reason)).toEqual([`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`]);
    expect(poison[0]?.body.startsWith('[[[[')).toBe(true);
    expect(poison[1]?.body.startsWith('{"a":{"a":')).toBe(true);
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('already parsed (as a host may hand it over): poisoned with a description, not serialised; the last-retry poisoning too', async () => {
    const h = harness(estate, START);
    const values = [JSON.parse(deepArrays) as unknown, JSON.parse(deepObjects) as unknown, { records: [JSON.parse(deepObjects) as unknown] }];
    const summary = await ingestMessages(h.deps, values.map((v) => message(v, '8')));
    expect(summary).toMatchObject({ records: 3, rejected: 3 });
    const poison = await h.poison.list();
    expect(poison).toHaveLength(3);
    for (const p of poison) expect(p.body).toBe(`(not stored: JSON nested deeper than ${MAX_JSON_DEPTH} levels)`);

    const deps: Pick<IngestDeps, 'poison' | 'clock' | 'log'> = { ...h.deps, poison: new MemoryPoisonStore() };
    await poisonMessages(deps, values.map((v) => message(v, '7')), 'table storage down');
    expect((await deps.poison.list()).map((p) => p.body)).toEqual(values.map(() => `(not stored: JSON nested deeper than ${MAX_JSON_DEPTH} levels)`));
  });
});

/** Each transition announced, whatever message grouped it. */
function announced(sent: readonly AlertMessage[]): string[] {
  return sent.flatMap((m) => m.incidents.map((i) => `${m.kind} ${i.protector} ${i.member} ${i.cause} ${i.stage}`)).sort();
}

/** `n` protectors, each its own key in one vault with one primary member. */
function manyProtectors(n: number) {
  const sub = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers';
  return estateFrom({
    vaults: [{ name: 'kv-cmk-prod-eus', region: 'eastus', resourceId: `${sub}/Microsoft.KeyVault/vaults/kv-cmk-prod-eus` }],
    protectors: Array.from({ length: n }, (_, i) => ({
      id: `db-${i}`,
      kind: 'sql-tde',
      keyName: `tde-${i}`,
      members: [{ role: 'primary', resourceId: `${sub}/Microsoft.Sql/servers/sql-${i}`, vault: 'kv-cmk-prod-eus', principalId: principalOf(i) }],
    })),
    notifications: { email: { to: ['secops@contoso.example'] } },
  });
}

/** A KeyUnwrap 403 (the real AuditEvent fixture) of each member of manyProtectors(n), in one envelope. */
function denials(n: number): unknown {
  const record = JSON.stringify((denial as { records: unknown[] }).records[0]);
  return {
    records: Array.from({ length: n }, (_, i) => JSON.parse(record.replaceAll('sql-tde-protector', `tde-${i}`).replaceAll('5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c', principalOf(i))) as unknown),
  };
}

const principalOf = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Event Grid KeyNewVersionCreated for each of the `n` keys of manyProtectors(n). */
function newVersions(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `evt-${i}`,
    topic: '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers/Microsoft.KeyVault/vaults/kv-cmk-prod-eus',
    subject: `tde-${i}`,
    eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
    eventTime: '2026-03-03T02:10:00.0000000Z',
    data: { Id: `https://kv-cmk-prod-eus.vault.azure.net/keys/tde-${i}/${String(i).padStart(32, 'a')}`, VaultName: 'kv-cmk-prod-eus', ObjectType: 'Key', ObjectName: `tde-${i}`, Version: String(i).padStart(32, 'a'), NBF: null, EXP: 1804118400 },
    dataVersion: '1',
    metadataVersion: '1',
  }));
}
