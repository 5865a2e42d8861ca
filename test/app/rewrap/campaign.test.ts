// The rewrap campaign against the memory DEK store and a local-RSA KeyWrapper: the scenarios and the
// invariants — every DEK ends on the new version and opens to its own plaintext, each row is written once, a
// corrupt row is never overwritten, 429s wait rather than fail, and nothing secret leaves (I8).
import { beforeAll, describe, expect, it } from 'vitest';
import { runRewrapCampaign, type RewrapCampaignOptions, type RewrapSummary } from '../../../app/rewrap/campaign.js';
import { MemoryDekStore } from '../../../app/rewrap/memoryDekStore.js';
import { KeyOperationError } from '../../../app/rewrap/ports.js';
import { BudgetUnavailableError } from '../../../app/rewrap/vaultBudget.js';
import type { Clock } from '../../../app/ports.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { capturingLogger, CountingDekStore, FakeKeyWrapper, fingerprint, kid, secretSpellings, seedDeks, V1, V2, type SeededDek } from './support.js';

const clock: Clock = { now: () => Date.now() };
const FAST_BACKOFF = { baseMs: 5, maxMs: 20 };

let wrapper: FakeKeyWrapper;
beforeAll(() => {
  wrapper = new FakeKeyWrapper();
  wrapper.addVersion(kid(V1));
  wrapper.addVersion(kid(V2));
});

interface World {
  readonly store: CountingDekStore;
  readonly deks: SeededDek[];
}

async function world(count: number): Promise<World> {
  wrapper.fault = () => null;
  const store = new CountingDekStore(new MemoryDekStore());
  return { store, deks: await seedDeks(store, wrapper, kid(V1), count) };
}

function run(w: World, over: Partial<RewrapCampaignOptions> = {}, logger = silentLogger): Promise<RewrapSummary> {
  return runRewrapCampaign(
    { store: w.store, wrapper, clock, logger },
    { fromKid: kid(V1), toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 8, backoff: FAST_BACKOFF, pageSize: 7, ...over },
  );
}

/** Every DEK is on v2, opens under v2 to its original plaintext, and was written exactly once. */
async function expectAllMoved(w: World): Promise<void> {
  for (const d of w.deks) {
    const row = await w.store.get(d.id);
    expect(row?.kid).toBe(kid(V2));
    expect(row?.fingerprint).toBe(d.fingerprint);
    expect(fingerprint(wrapper.open(kid(V2), 'RSA-OAEP-256', row?.wrapped ?? ''))).toBe(d.fingerprint);
  }
  expect(w.store.doubleWritten).toEqual([]);
  expect(w.store.totalCasOk).toBe(w.deks.length);
}

describe('runRewrapCampaign', () => {
  it('moves every DEK to the new version, verified, once, and completes on a fresh scan', async () => {
    const w = await world(40);
    const before = wrapper.unwrapsOf(kid(V2));
    const s = await run(w);
    expect(s).toMatchObject({ scanned: 40, rewrapped: 40, alreadyDone: 0, conflicts: 0, corrupt: 0, failures: 0, remaining: 0, complete: true, stopReason: null, unwraps: 80 });
    // One verification unwrap per DEK under the new version.
    expect(wrapper.unwrapsOf(kid(V2)) - before).toBe(40);
    await expectAllMoved(w);
  });

  it('a re-run finds the work done: no unwraps, alreadyDone counted, still complete', async () => {
    const w = await world(10);
    await run(w);
    const unwraps = wrapper.calls.filter((c) => c.op === 'unwrap').length;
    const again = await run(w);
    expect(again).toMatchObject({ scanned: 10, rewrapped: 0, alreadyDone: 10, remaining: 0, complete: true });
    expect(wrapper.calls.filter((c) => c.op === 'unwrap').length).toBe(unwraps);
  });

  it('accepts the old version as a version id, and leaves DEKs of other versions and other keys alone', async () => {
    const w = await world(5);
    wrapper.addVersion(kid('22222222222222222222222222222222'));
    await seedDeks(w.store, wrapper, kid('22222222222222222222222222222222'), 3, 'RSA-OAEP-256', 'v0');
    wrapper.addVersion(kid(V1, 'other-key'));
    await seedDeks(w.store, wrapper, kid(V1, 'other-key'), 2, 'RSA-OAEP-256', 'ok');
    const s = await runRewrapCampaign(
      { store: w.store, wrapper, clock, logger: silentLogger },
      { fromVersion: V1.toUpperCase(), toKid: kid(V2), vaultBudgetPerSec: 100_000, concurrency: 4 },
    );
    expect(s).toMatchObject({ scanned: 8, rewrapped: 5, otherVersions: 3, complete: true });
    expect((await w.store.get('ok-0000'))?.kid).toBe(kid(V1, 'other-key'));
  });

  it('R-9: a crash between wrap and write loses nothing; the re-run redoes exactly those DEKs', async () => {
    const w = await world(20);
    const crashing = new Set(['dek-0003', 'dek-0011', 'dek-0017']);
    w.store.beforeCas = async (id) => {
      if (crashing.has(id)) throw new Error('ECONNRESET');
    };
    const first = await run(w);
    expect(first).toMatchObject({ rewrapped: 17, failures: 3, remaining: 3, complete: false });
    expect([...first.failedIds].sort()).toEqual([...crashing].sort());
    for (const id of crashing) expect((await w.store.get(id))?.kid).toBe(kid(V1));

    w.store.beforeCas = async () => undefined;
    const second = await run(w);
    expect(second).toMatchObject({ rewrapped: 3, alreadyDone: 17, failures: 0, remaining: 0, complete: true });
    await expectAllMoved(w);
  });

  it('an abort stops the campaign part-way; the re-run completes with each row written once', async () => {
    const w = await world(60);
    const ac = new AbortController();
    const first = await run(w, { signal: ac.signal, concurrency: 4, onProgress: (p) => p.rewrapped >= 20 && ac.abort() });
    expect(first).toMatchObject({ stopReason: 'aborted', complete: false, remaining: null, failures: 0 });
    expect(first.rewrapped).toBeGreaterThanOrEqual(20);
    expect(first.rewrapped).toBeLessThan(60);
    const second = await run(w);
    expect(second).toMatchObject({ complete: true, remaining: 0, alreadyDone: first.rewrapped, rewrapped: 60 - first.rewrapped });
    await expectAllMoved(w);
  });

  it('a row whose plaintext does not match its fingerprint is corrupt and never overwritten', async () => {
    const w = await world(6);
    const victim = w.deks[2] as SeededDek;
    const other = Buffer.alloc(32, 7);
    const wrongWrapped = wrapper.wrapFor(kid(V1), 'RSA-OAEP-256', other);
    await w.store.inner.compareAndSet(victim.id, kid(V1), { kid: kid(V1), alg: 'RSA-OAEP-256', wrapped: wrongWrapped }, (await w.store.get(victim.id))?.etag ?? '');
    // And one whose wrapped value the vault cannot decrypt at all.
    const garbage = w.deks[4] as SeededDek;
    await w.store.inner.compareAndSet(garbage.id, kid(V1), { kid: kid(V1), alg: 'RSA-OAEP-256', wrapped: 'AAAA' }, (await w.store.get(garbage.id))?.etag ?? '');

    const s = await run(w);
    expect(s).toMatchObject({ rewrapped: 4, corrupt: 2, failures: 0, remaining: 2, complete: false });
    expect([...s.corruptIds].sort()).toEqual([victim.id, garbage.id].sort());
    expect((await w.store.get(victim.id))?.wrapped).toBe(wrongWrapped);
    expect((await w.store.get(garbage.id))?.wrapped).toBe('AAAA');
  });

  it('R-8/R-10: 429s are waited out (Retry-After), 5xx retried with backoff; nothing fails', async () => {
    const w = await world(12);
    wrapper.fault = ({ op, n }) => {
      if (op === 'unwrap' && n % 5 === 1) return new KeyOperationError('throttled', '429', 429, 15);
      if (op === 'unwrap' && n % 11 === 3) return new KeyOperationError('transient', '500', 500);
      return null;
    };
    const s = await run(w);
    expect(s.throttled).toBeGreaterThan(0);
    expect(s).toMatchObject({ rewrapped: 12, failures: 0, complete: true });
    await expectAllMoved(w);
  });

  it('a call throttled for longer than maxThrottledMs fails that DEK, not the campaign', async () => {
    const w = await world(3);
    wrapper.fault = ({ op, kid: k }) => (op === 'unwrap' && k === kid(V1) ? new KeyOperationError('throttled', '429', 429, 10) : null);
    const s = await run(w, { maxThrottledMs: 35, concurrency: 1 });
    expect(s).toMatchObject({ rewrapped: 0, failures: 3, remaining: 3, complete: false, stopReason: null });
  });

  it('access denied on the old version stops the campaign: every other DEK would fail the same way', async () => {
    const w = await world(30);
    wrapper.fault = ({ op, kid: k }) => (op === 'unwrap' && k === kid(V1) ? new KeyOperationError('denied', 'Key Vault unwrapKey on vault kv-a failed: 403 Forbidden/ForbiddenByRbac', 403) : null);
    const s = await run(w, { concurrency: 2 });
    expect(s).toMatchObject({ stopReason: 'access_denied', complete: false, rewrapped: 0 });
    expect(s.failures).toBeLessThanOrEqual(2);
    expect(s.scanned).toBeLessThan(30);
  });

  it('a shared budget that cannot be consulted stops the campaign instead of failing DEK after DEK', async () => {
    const w = await world(30);
    let acquired = 0;
    const budget = {
      acquire: async () => {
        if (acquired++ >= 2) throw new BudgetUnavailableError('budget store unreachable');
      },
      pause: () => undefined,
    };
    const s = await runRewrapCampaign({ store: w.store, wrapper, clock, logger: silentLogger, budget }, { fromKid: kid(V1), toKid: kid(V2), vaultBudgetPerSec: 1, concurrency: 2 });
    expect(s).toMatchObject({ stopReason: 'budget_unavailable', complete: false, rewrapped: 0, remaining: null });
    expect(s.failures).toBeLessThanOrEqual(2);
    expect(w.store.totalCasOk).toBe(0);
  });

  it('another writer landing first: a conflict, then a fresh read shows it done, and nothing is written twice', async () => {
    const w = await world(8);
    let interfered = false;
    w.store.beforeCas = async (id) => {
      if (id !== 'dek-0005' || interfered) return;
      interfered = true;
      const row = await w.store.inner.get(id);
      if (!row) throw new Error('missing');
      const d = w.deks[5] as SeededDek;
      // A second campaign instance lands its own (valid) value first.
      await w.store.compareAndSet(id, kid(V1), { kid: kid(V2), alg: 'RSA-OAEP-256', wrapped: wrapper.wrapFor(kid(V2), 'RSA-OAEP-256', d.plaintext) }, row.etag);
    };
    const s = await run(w);
    expect(s).toMatchObject({ rewrapped: 7, conflicts: 1, complete: true });
    await expectAllMoved(w);
  });

  it('a row touched but still behind (etag changed, same kid) is re-read and redone', async () => {
    const w = await world(4);
    let touched = false;
    w.store.beforeCas = async (id) => {
      if (id !== 'dek-0001' || touched) return;
      touched = true;
      const row = await w.store.inner.get(id);
      if (row) await w.store.inner.compareAndSet(id, row.kid, { kid: row.kid, alg: row.alg, wrapped: row.wrapped }, row.etag);
    };
    const s = await run(w);
    expect(s).toMatchObject({ rewrapped: 4, conflicts: 0, complete: true });
    await expectAllMoved(w);
  });

  it('zeroes every plaintext it was handed, and never logs or returns a DEK or a wrapped value (I8)', async () => {
    const w = await world(10);
    const log = capturingLogger();
    const from = wrapper.handedOut.length;
    const victim = w.deks[1] as SeededDek;
    await w.store.inner.compareAndSet(victim.id, kid(V1), { kid: kid(V1), alg: 'RSA-OAEP-256', wrapped: wrapper.wrapFor(kid(V1), 'RSA-OAEP-256', Buffer.alloc(32, 1)) }, (await w.store.get(victim.id))?.etag ?? '');
    const s = await run(w, {}, log);
    expect(s.corrupt).toBe(1);
    const handed = wrapper.handedOut.slice(from);
    expect(handed.length).toBe(s.unwraps);
    for (const b of handed) expect(b.every((x) => x === 0)).toBe(true);
    const text = [...log.lines, JSON.stringify(s)].join('\n');
    for (const d of w.deks) for (const secret of secretSpellings(d)) expect(text).not.toContain(secret);
    for (const d of w.deks) expect(text).not.toContain((await w.store.get(d.id))?.wrapped ?? '');
  });

  it('spends at most its budget: in any 250 ms, burst + rate · 0.25 s units', async () => {
    const w = await world(30);
    const start = wrapper.calls.length;
    const rate = 200;
    const s = await run(w, { vaultBudgetPerSec: rate, vaultBurst: 4, concurrency: 16 });
    expect(s.complete).toBe(true);
    const calls = wrapper.calls.slice(start);
    // GETs weigh 2 (type unknown before the read), unwraps of a software RSA-2048 key 1.
    const units = calls.map((c) => ({ at: c.at, w: c.op === 'get' ? 2 : 1 }));
    for (const first of units) {
      const inWindow = units.filter((u) => u.at >= first.at && u.at < first.at + 250).reduce((a, u) => a + u.w, 0);
      expect(inWindow).toBeLessThanOrEqual(4 + rate * 0.25 + 2);
    }
  });

  it('refuses options that cannot be right', async () => {
    const w = await world(1);
    await expect(run(w, { fromKid: kid(V1, 'other-key') })).rejects.toThrow(RangeError);
    await expect(run(w, { fromKid: kid(V2) })).rejects.toThrow(RangeError);
    await expect(run(w, { fromVersion: V1 })).rejects.toThrow(/exactly one/);
    await expect(run(w, { concurrency: 0 })).rejects.toThrow(RangeError);
    await expect(run(w, { vaultBudgetPerSec: 0 })).rejects.toThrow(RangeError);
  });
});
