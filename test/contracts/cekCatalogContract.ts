// The CekCatalog contract: what the campaign relies on from Cosmos + @azure/cosmos, run against the memory fake and
// the real adapter on the Cosmos emulator. Wrapping is real RSA-OAEP with local key pairs standing in for Key Vault.
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CekCatalog, CekKeyOps } from '../../app/rewrap/cekPorts.js';

export interface CekHarness {
  readonly catalog: CekCatalog;
  seed(database: string, id: string, kekKid: string, wrapped: Uint8Array): Promise<void>;
  /** The stored wrapped value (test side channel). */
  wrappedOf(database: string, id: string): Promise<Uint8Array | undefined>;
  /** Someone else writes the CEK (same content, new etag). */
  touch(database: string, id: string): Promise<void>;
  /** A database with no CEK yet. */
  createDatabase(id: string): Promise<void>;
}

const V = (n: number): string => String(n).repeat(32).slice(0, 32);
export const kekOf = (version: string, key = 'cards-cmk'): string => `https://kv-ae.vault.azure.net/keys/${key}/${version}`;
export const KEK1 = kekOf(V(1));
export const KEK2 = kekOf(V(2));

const pairs = new Map<string, { publicKey: KeyObject; privateKey: KeyObject }>();
function pairOf(kid: string): { publicKey: KeyObject; privateKey: KeyObject } {
  let p = pairs.get(kid);
  if (!p) pairs.set(kid, (p = generateKeyPairSync('rsa', { modulusLength: 2048 })));
  return p;
}
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' } as const;
export const wrapUnder = (kid: string, pt: Uint8Array): Buffer => publicEncrypt({ key: pairOf(kid).publicKey, ...OAEP }, pt);
export const openUnder = (kid: string, wrapped: Uint8Array): Buffer => privateDecrypt({ key: pairOf(kid).privateKey, ...OAEP }, wrapped);

/** Key ops over the local pairs, recording calls; `beforeWrapReturns` lets a test interfere mid-rewrap. */
function localOps(calls: string[], beforeWrapReturns: () => Promise<void> = async () => undefined): CekKeyOps {
  return {
    async unwrap(kid, wrapped) {
      calls.push(`unwrap ${kid}`);
      return openUnder(kid, wrapped);
    },
    async wrap(kid, pt) {
      calls.push(`wrap ${kid}`);
      const out = wrapUnder(kid, pt);
      await beforeWrapReturns();
      return out;
    },
  };
}

export function cekCatalogContract(name: string, make: () => Promise<CekHarness>): void {
  describe(`CekCatalog contract: ${name}`, () => {
    let h: CekHarness;
    const plain = new Map<string, Buffer>();
    const seed = async (db: string, id: string, kid: string): Promise<void> => {
      const pt = randomBytes(32);
      plain.set(`${db}/${id}`, pt);
      await h.seed(db, id, kid, wrapUnder(kid, pt));
    };
    const opensTo = async (db: string, id: string, kid: string): Promise<boolean> => openUnder(kid, (await h.wrappedOf(db, id)) ?? new Uint8Array()).equals(plain.get(`${db}/${id}`) ?? Buffer.alloc(0));

    beforeEach(async () => {
      h = await make();
      plain.clear();
    });

    it('lists every CEK of a database once, across pages, with its wrap metadata and never its wrapped value', async () => {
      for (let i = 0; i < 7; i++) await seed('orders', `cek-${i}`, i % 2 ? KEK1 : KEK2);
      await seed('billing', 'other', KEK1);
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await h.catalog.list('orders', token);
        pages += 1;
        for (const r of page.items) {
          seen.push(r.id);
          expect(Object.keys(r).sort()).toEqual(['algorithm', 'database', 'id', 'kekKid', 'kekName']);
          expect(r).toMatchObject({ database: 'orders', algorithm: 'RSA-OAEP', kekKid: Number(r.id.slice(4)) % 2 ? KEK1 : KEK2 });
        }
        token = page.next ?? undefined;
      } while (token !== undefined);
      expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `cek-${i}`));
      expect(pages).toBeGreaterThan(1);
    });

    it('lists every database of the account, with or without CEKs', async () => {
      await seed('orders', 'a', KEK1);
      await h.createDatabase('refunds');
      expect(await h.catalog.listDatabases()).toEqual(expect.arrayContaining(['orders', 'refunds']));
    });

    it('rewrap moves a CEK to the new version: it opens there to the same key; other CEKs are untouched', async () => {
      await seed('orders', 'a', KEK1);
      await seed('orders', 'b', KEK1);
      const calls: string[] = [];
      expect(await h.catalog.rewrap('orders', 'a', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, localOps(calls))).toBe('ok');
      expect(calls).toEqual([`unwrap ${KEK1}`, `wrap ${KEK2}`]);
      expect(await opensTo('orders', 'a', KEK2)).toBe(true);
      expect(await opensTo('orders', 'b', KEK1)).toBe(true);
      const listed = (await h.catalog.list('orders')).items.find((r) => r.id === 'a');
      expect(listed).toMatchObject({ kekKid: KEK2, kekName: 'cards-cmk' });
    });

    it('two CEKs under one version each keep their own key through a rewrap (no unwrap is reused)', async () => {
      await seed('orders', 'a', KEK1);
      await seed('orders', 'b', KEK1);
      const calls: string[] = [];
      for (const id of ['a', 'b']) expect(await h.catalog.rewrap('orders', id, KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, localOps(calls))).toBe('ok');
      expect(calls.filter((c) => c.startsWith('unwrap'))).toHaveLength(2);
      expect(await opensTo('orders', 'a', KEK2)).toBe(true);
      expect(await opensTo('orders', 'b', KEK2)).toBe(true);
    });

    it('a CEK no longer on the expected version is a conflict, with no key operation at all', async () => {
      await seed('orders', 'a', KEK2);
      const calls: string[] = [];
      expect(await h.catalog.rewrap('orders', 'a', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, localOps(calls))).toBe('conflict');
      expect(calls).toEqual([]);
    });

    it('a CEK that does not exist is gone', async () => {
      await seed('orders', 'a', KEK1);
      expect(await h.catalog.rewrap('orders', 'missing', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, localOps([]))).toBe('gone');
    });

    it('a write by someone else between the read and the replace is a conflict, and nothing of ours is written', async () => {
      await seed('orders', 'a', KEK1);
      const r = await h.catalog.rewrap('orders', 'a', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, localOps([], () => h.touch('orders', 'a')));
      expect(r).toBe('conflict');
      expect(await opensTo('orders', 'a', KEK1)).toBe(true);
    });

    it('a failing wrap (e.g. a failed verification) propagates as it is, and the CEK is unchanged', async () => {
      await seed('orders', 'a', KEK1);
      class VerifyFailed extends Error {}
      const ops: CekKeyOps = { ...localOps([]), wrap: async () => Promise.reject(new VerifyFailed('verification failed')) };
      await expect(h.catalog.rewrap('orders', 'a', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, ops)).rejects.toBeInstanceOf(VerifyFailed);
      expect(await opensTo('orders', 'a', KEK1)).toBe(true);
    });
  });
}
