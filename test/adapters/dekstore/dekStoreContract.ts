// The DekStore contract (app/rewrap/ports.ts): create-only inserts, canonical kids, ETag compare-and-set with
// exactly one winner, filtered paging that visits each row at most once, counts per kid. The memory fake and the
// Table Storage adapter run this same suite.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DekFilter, DekRecord, DekStore, NewDek } from '../../../app/rewrap/ports.js';

export const V1 = '0123456789abcdef0123456789abcdef';
export const V2 = 'fedcba9876543210fedcba9876543210';
export const kidOf = (version: string, key = 'dek-kek', host = 'kv-a.vault.azure.net'): string => `https://${host}/keys/${key}/${version}`;

export function dek(id: string, over: Partial<NewDek> = {}): NewDek {
  return {
    id,
    kid: kidOf(V1),
    alg: 'RSA-OAEP-256',
    wrapped: randomBytes(256).toString('base64url'),
    fingerprint: createHash('sha256').update(id).digest('base64url'),
    ...over,
  };
}

/** Every item of a filtered scan, following `next` through empty pages. */
export async function scanAll(store: DekStore, filter: DekFilter, pageSize?: number, onPage?: (items: readonly DekRecord[]) => Promise<void>): Promise<DekRecord[]> {
  const out: DekRecord[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.list(filter, token, pageSize);
    out.push(...page.items);
    await onPage?.(page.items);
    if (page.next === null) return out;
    token = page.next;
  }
  throw new Error('scan did not end');
}

export function dekStoreContract(name: string, makeStore: () => DekStore | Promise<DekStore>): void {
  describe(`DekStore contract: ${name}`, () => {
    it('gets an absent DEK as null', async () => {
      const store = await makeStore();
      expect(await store.get('absent')).toBeNull();
    });

    it('inserts, then gets the same row with its kid canonical and an etag', async () => {
      const store = await makeStore();
      const d = dek('a/1', { kid: `HTTPS://KV-A.vault.azure.net/keys/DEK-KEK/${V1.toUpperCase()}` });
      expect(await store.insert(d)).toBe('ok');
      const got = await store.get('a/1');
      expect(got).toMatchObject({ id: 'a/1', kid: kidOf(V1), alg: d.alg, wrapped: d.wrapped, fingerprint: d.fingerprint });
      expect(typeof got?.etag).toBe('string');
    });

    it('insert is create-only: a second insert of the id reports exists and changes nothing', async () => {
      const store = await makeStore();
      const first = dek('x');
      expect(await store.insert(first)).toBe('ok');
      expect(await store.insert(dek('x', { kid: kidOf(V2) }))).toBe('exists');
      expect((await store.get('x'))?.kid).toBe(kidOf(V1));
    });

    it('refuses rows no store may hold: versionless kids and fingerprints that are not SHA-256', async () => {
      const store = await makeStore();
      await expect(store.insert(dek('bad1', { kid: 'https://kv-a.vault.azure.net/keys/dek-kek' }))).rejects.toThrow(RangeError);
      await expect(store.insert(dek('bad2', { fingerprint: 'plaintext?' }))).rejects.toThrow(RangeError);
      expect(await store.get('bad1')).toBeNull();
    });

    it('compareAndSet with the current etag replaces kid, alg and wrapped, keeps the fingerprint, and changes the etag', async () => {
      const store = await makeStore();
      const d = dek('c');
      await store.insert(d);
      const read = await store.get('c');
      if (!read) throw new Error('missing');
      const wrapped = randomBytes(256).toString('base64url');
      expect(await store.compareAndSet('c', kidOf(V1), { kid: kidOf(V2).toUpperCase(), alg: 'RSA-OAEP', wrapped }, read.etag)).toBe('ok');
      const after = await store.get('c');
      expect(after).toMatchObject({ id: 'c', kid: kidOf(V2), alg: 'RSA-OAEP', wrapped, fingerprint: d.fingerprint });
      expect(after?.etag).not.toBe(read.etag);
    });

    it('compareAndSet with a stale etag is a conflict and keeps the newer row', async () => {
      const store = await makeStore();
      await store.insert(dek('s'));
      const read = await store.get('s');
      if (!read) throw new Error('missing');
      expect(await store.compareAndSet('s', kidOf(V1), { kid: kidOf(V2), alg: 'RSA-OAEP-256', wrapped: 'AAAA' }, read.etag)).toBe('ok');
      expect(await store.compareAndSet('s', kidOf(V1), { kid: kidOf(V2), alg: 'RSA-OAEP-256', wrapped: 'BBBB' }, read.etag)).toBe('conflict');
      expect((await store.get('s'))?.wrapped).toBe('AAAA');
    });

    it('compareAndSet on an absent DEK is a conflict and creates nothing', async () => {
      const store = await makeStore();
      await store.insert(dek('other'));
      const etag = (await store.get('other'))?.etag ?? '';
      expect(await store.compareAndSet('ghost', kidOf(V1), { kid: kidOf(V2), alg: 'RSA-OAEP-256', wrapped: 'AAAA' }, etag)).toBe('conflict');
      expect(await store.get('ghost')).toBeNull();
    });

    it('two writers racing with the same etag: exactly one lands', async () => {
      const store = await makeStore();
      await store.insert(dek('race'));
      const read = await store.get('race');
      if (!read) throw new Error('missing');
      const results = await Promise.all(
        ['AAAA', 'BBBB', 'CCCC'].map((wrapped) => store.compareAndSet('race', kidOf(V1), { kid: kidOf(V2), alg: 'RSA-OAEP-256', wrapped }, read.etag)),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      const winner = ['AAAA', 'BBBB', 'CCCC'][results.indexOf('ok')];
      expect((await store.get('race'))?.wrapped).toBe(winner);
    });

    it('lists by kid prefix (case-insensitive) and notKid, page by page, each row once', async () => {
      const store = await makeStore();
      for (let i = 0; i < 7; i++) await store.insert(dek(`v1-${i}`));
      for (let i = 0; i < 4; i++) await store.insert(dek(`v2-${i}`, { kid: kidOf(V2) }));
      for (let i = 0; i < 3; i++) await store.insert(dek(`other-${i}`, { kid: kidOf(V1, 'another-key') }));
      await store.insert(dek('other-host', { kid: kidOf(V1, 'dek-kek', 'kv-b.vault.azure.net') }));
      const ids = (items: readonly DekRecord[]): string[] => items.map((r) => r.id).sort();

      const keyPrefix = 'https://KV-A.vault.azure.net/keys/DEK-KEK/';
      const all = await scanAll(store, { kidPrefix: keyPrefix }, 3);
      expect(ids(all)).toEqual([...Array.from({ length: 7 }, (_, i) => `v1-${i}`), ...Array.from({ length: 4 }, (_, i) => `v2-${i}`)].sort());
      expect(ids(await scanAll(store, { kidPrefix: keyPrefix, notKid: kidOf(V2) }, 2))).toEqual(Array.from({ length: 7 }, (_, i) => `v1-${i}`).sort());
      expect(ids(await scanAll(store, { kidPrefix: kidOf(V2) }))).toEqual(['v2-0', 'v2-1', 'v2-2', 'v2-3']);
      expect(await scanAll(store, {})).toHaveLength(15);
    });

    it('a scan that rewraps rows as it goes sees every row it had not yet rewrapped, and none twice', async () => {
      const store = await makeStore();
      for (let i = 0; i < 12; i++) await store.insert(dek(`m${String(i).padStart(2, '0')}`));
      const seen: string[] = [];
      await scanAll(store, { kidPrefix: kidOf(V1) }, 4, async (items) => {
        for (const r of items) {
          seen.push(r.id);
          expect(await store.compareAndSet(r.id, r.kid, { kid: kidOf(V2), alg: r.alg, wrapped: r.wrapped }, r.etag)).toBe('ok');
        }
      });
      expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`));
      expect(await scanAll(store, { kidPrefix: kidOf(V1) })).toEqual([]);
    });

    it('counts DEKs per canonical kid, over everything or a prefix', async () => {
      const store = await makeStore();
      for (let i = 0; i < 5; i++) await store.insert(dek(`a${i}`));
      for (let i = 0; i < 2; i++) await store.insert(dek(`b${i}`, { kid: kidOf(V2).toUpperCase() }));
      await store.insert(dek('c0', { kid: kidOf(V1, 'another-key') }));
      expect(await store.countByKid()).toEqual(new Map([[kidOf(V1), 5], [kidOf(V2), 2], [kidOf(V1, 'another-key'), 1]]));
      expect(await store.countByKid({ kidPrefix: 'https://kv-a.vault.azure.net/keys/dek-kek/' })).toEqual(new Map([[kidOf(V1), 5], [kidOf(V2), 2]]));
      expect(await store.countByKid({ kidPrefix: kidOf(V1, 'nothing') })).toEqual(new Map());
    });
  });
}
