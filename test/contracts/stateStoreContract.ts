// The StateStore contract (app/ports.ts): create-only and compare-and-set saves, exact round trips. Every
// implementation (memory fake, Table Storage) runs this same suite.
import { describe, expect, it } from 'vitest';
import type { StateEntry, StateStore } from '../../app/ports.js';
import { snapshot, snapshotOfSize } from './fixtures.js';

/** Every entry of [after, until] page by page; the pages' own boundaries are checked on the way. */
async function scan(store: StateStore, limit: number, range: { after?: string | null; until?: string | null } = {}): Promise<StateEntry[]> {
  const out: StateEntry[] = [];
  let after = range.after ?? null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list({ after, until: range.until ?? null, limit });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    out.push(...page.entries);
    const last = page.entries.at(-1);
    if (!page.more || last === undefined) {
      expect(page.more && last === undefined).toBe(false); // an empty page never claims there is more
      return out;
    }
    after = last.position;
  }
  throw new Error('scan did not end');
}

const idsOf = (entries: readonly StateEntry[]): Array<string | null> => entries.map((e) => e.protectorId);

export function stateStoreContract(name: string, makeStore: () => StateStore | Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    it('loads an absent protector as null', async () => {
      const store = await makeStore();
      expect(await store.load('absent')).toBeNull();
    });

    it('creates when absent and loads what it saved, with the returned etag', async () => {
      const store = await makeStore();
      const snap = snapshot('p1');
      const saved = await store.save('p1', snap, null);
      expect(saved.ok).toBe(true);
      const loaded = await store.load('p1');
      expect(loaded?.snapshot).toStrictEqual(snap);
      expect(saved.ok && loaded?.etag).toBe(saved.ok ? saved.etag : 'unreachable');
    });

    it('refuses a create-only save when the protector is present', async () => {
      const store = await makeStore();
      expect((await store.save('p1', snapshot('p1', { seed: 1 }), null)).ok).toBe(true);
      expect(await store.save('p1', snapshot('p1', { seed: 2 }), null)).toEqual({ ok: false, reason: 'conflict' });
      expect((await store.load('p1'))?.snapshot).toStrictEqual(snapshot('p1', { seed: 1 }));
    });

    it('replaces with the current etag and returns a new etag', async () => {
      const store = await makeStore();
      const first = await store.save('p1', snapshot('p1', { seed: 1 }), null);
      if (!first.ok) throw new Error('create failed');
      const second = await store.save('p1', snapshot('p1', { seed: 2 }), first.etag);
      if (!second.ok) throw new Error('replace with the current etag failed');
      expect(second.etag).not.toBe(first.etag);
      expect(await store.load('p1')).toStrictEqual({ snapshot: snapshot('p1', { seed: 2 }), etag: second.etag });
    });

    it('refuses a save with a stale etag and keeps the newer state', async () => {
      const store = await makeStore();
      const first = await store.save('p1', snapshot('p1', { seed: 1 }), null);
      if (!first.ok) throw new Error('create failed');
      const second = await store.save('p1', snapshot('p1', { seed: 2 }), first.etag);
      expect(second.ok).toBe(true);
      expect(await store.save('p1', snapshot('p1', { seed: 3 }), first.etag)).toEqual({ ok: false, reason: 'conflict' });
      expect((await store.load('p1'))?.snapshot).toStrictEqual(snapshot('p1', { seed: 2 }));
    });

    it('refuses a replace of an absent protector', async () => {
      const store = await makeStore();
      const other = await store.save('p1', snapshot('p1'), null);
      if (!other.ok) throw new Error('create failed');
      // An etag from another protector is never current for this one.
      expect(await store.save('p2', snapshot('p2'), other.etag)).toEqual({ ok: false, reason: 'conflict' });
      expect(await store.load('p2')).toBeNull();
    });

    it('round-trips a 500 KiB snapshot exactly, and a smaller one after it', async () => {
      const store = await makeStore();
      const big = snapshotOfSize('big', 500 * 1024);
      expect(JSON.stringify(big).length).toBeGreaterThanOrEqual(500 * 1024);
      const saved = await store.save('big', big, null);
      if (!saved.ok) throw new Error('create failed');
      const loaded = await store.load('big');
      expect(JSON.stringify(loaded?.snapshot)).toBe(JSON.stringify(big));
      expect(loaded?.snapshot).toStrictEqual(big);
      // The replacement has fewer chunks: none of the old ones may leak into it.
      const small = snapshot('big', { seed: 9 });
      expect((await store.save('big', small, saved.etag)).ok).toBe(true);
      expect((await store.load('big'))?.snapshot).toStrictEqual(small);
    });

    it('lets exactly one of 10 concurrent saves from the same etag win', async () => {
      const store = await makeStore();
      const base = await store.save('p1', snapshot('p1', { seed: 0 }), null);
      if (!base.ok) throw new Error('create failed');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.save('p1', snapshot('p1', { seed: i + 1 }), base.etag)));
      const winners = results.flatMap((r, i) => (r.ok ? [{ i, etag: r.etag }] : []));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toHaveLength(9);
      const winner = winners[0];
      expect(await store.load('p1')).toStrictEqual({ snapshot: snapshot('p1', { seed: (winner?.i ?? -1) + 1 }), etag: winner?.etag });
    });

    it('lets exactly one of 10 concurrent create-only saves win', async () => {
      const store = await makeStore();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.save('p1', snapshot('p1', { seed: i }), null)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it('keeps protectors apart, including ids with characters keys cannot hold', async () => {
      const store = await makeStore();
      const ids = ['orders-tde', 'a/b', 'a\\b', 'a#b', 'a?b', 'tab\there', '~tilde', 'é鍵🔑', 'x'.repeat(600)];
      for (const [i, id] of ids.entries()) expect((await store.save(id, snapshot(id, { seed: i }), null)).ok).toBe(true);
      for (const [i, id] of ids.entries()) expect((await store.load(id))?.snapshot).toStrictEqual(snapshot(id, { seed: i }));
      expect(await store.load('a')).toBeNull();
    });

    it('lists nothing from an empty store, and refuses a limit that is not a positive integer', async () => {
      const store = await makeStore();
      expect(await store.list({ limit: 10 })).toEqual({ entries: [], more: false });
      await expect(store.list({ limit: 0 })).rejects.toThrow(RangeError);
      await expect(store.list({ limit: 2.5 })).rejects.toThrow(RangeError);
    });

    it('lists every stored state exactly once across pages, in increasing position, as load reads it', async () => {
      const store = await makeStore();
      const ids = [...Array.from({ length: 23 }, (_, i) => `p-${String(i).padStart(2, '0')}`), 'a/b', 'é鍵🔑', 'x'.repeat(600), '~tilde'];
      for (const [i, id] of ids.entries()) expect((await store.save(id, snapshot(id, { seed: i }), null)).ok).toBe(true);
      for (const limit of [1, 7, ids.length, 1000]) {
        const entries = await scan(store, limit);
        expect(idsOf(entries).sort()).toStrictEqual([...ids].sort());
        const positions = entries.map((e) => e.position);
        expect(new Set(positions).size).toBe(positions.length);
        // One consistent order: listing on from any entry's position gives exactly the entries after it.
        for (const i of [0, 5, entries.length - 2]) expect(idsOf(await scan(store, limit, { after: entries[i]?.position ?? null }))).toStrictEqual(idsOf(entries.slice(i + 1)));
        for (const entry of entries) {
          expect(entry.ok).toBe(true);
          if (!entry.ok) continue;
          expect(entry.stored).toStrictEqual(await store.load(entry.protectorId));
        }
      }
    });

    it('bounds a scan by after (exclusive) and until (inclusive), so a scan that wraps around sees each state once', async () => {
      const store = await makeStore();
      const ids = Array.from({ length: 12 }, (_, i) => `w-${i}`);
      for (const id of ids) expect((await store.save(id, snapshot(id), null)).ok).toBe(true);
      const all = await scan(store, 5);
      const pivot = all[4];
      if (!pivot) throw new Error('expected 12 entries');
      const tail = await scan(store, 5, { after: pivot.position });
      const head = await scan(store, 5, { until: pivot.position });
      expect(idsOf(tail)).toStrictEqual(idsOf(all.slice(5)));
      expect(idsOf(head)).toStrictEqual(idsOf(all.slice(0, 5)));
      expect(idsOf(await scan(store, 3, { after: all[1]?.position ?? null, until: all[7]?.position ?? null }))).toStrictEqual(idsOf(all.slice(2, 8)));
      expect(await store.list({ after: pivot.position, until: pivot.position, limit: 5 })).toEqual({ entries: [], more: false });
    });

    it('a scan in progress sees a state saved ahead of its position', async () => {
      const store = await makeStore();
      for (const id of ['m-1', 'm-3', 'm-5']) expect((await store.save(id, snapshot(id), null)).ok).toBe(true);
      const first = await store.list({ limit: 1 });
      const at = first.entries[0];
      if (!at) throw new Error('expected an entry');
      const ahead = idsOf(await scan(store, 10)).filter((id) => id !== at.protectorId);
      expect((await store.save('m-9', snapshot('m-9'), null)).ok).toBe(true);
      const rest = idsOf(await scan(store, 10, { after: at.position }));
      for (const id of ahead) expect(rest).toContain(id);
      expect(rest).toContain('m-9');
    });
  });
}
