// The REST read feed of client encryption keys (GET /dbs/{db}/clientencryptionkeys), which the JS SDK has no method
// for: keysteward calls it over HTTPS with the header the SDK would send. Body `{"_rid","ClientEncryptionKeys","_count"}`,
// paged by x-ms-max-item-count, continued by x-ms-continuation.
import { describe, expect, it } from 'vitest';
import type { CosmosEmulator, SeedCek } from '../../../emulators/cosmos/index.js';
import { AUTOMATION, DB, HTTPMethod, KEK_V1, READER, ResourceType, aadHeaders, useCosmosTestLife, kek, masterKeyHeaders, rawRequest, startEmulator, wrapMetadata, type RawResponse } from './support.js';

const life = useCosmosTestLife();

const seedCek = (i: number): SeedCek => ({
  id: `cek-${String(i).padStart(2, '0')}`,
  keyWrapMetadata: wrapMetadata(i % 2 === 0 ? KEK_V1 : kek('0a9b8c7d6e5f40312233445566778899')),
  wrappedDataEncryptionKey: Buffer.from(`wrapped-${i}`.padEnd(256, '.')),
});

async function emulator(count: number, pageSize?: number): Promise<CosmosEmulator> {
  const em = await startEmulator(life.cert, {
    databases: [{ id: DB, clientEncryptionKeys: Array.from({ length: count }, (_, i) => seedCek(i)) }, { id: 'empty' }],
    ...(pageSize !== undefined ? { pageSize } : {}),
  });
  life.open.push(em);
  em.grant(AUTOMATION.oid, 'contributor');
  em.grant(READER.oid, 'reader');
  return em;
}

type Auth = 'master' | 'aad-reader';

async function listPage(em: CosmosEmulator, auth: Auth, db: string, o: { maxItemCount?: number; continuation?: string } = {}): Promise<RawResponse> {
  const link = `dbs/${db}`;
  const headers = auth === 'master' ? await masterKeyHeaders(em.masterKey, HTTPMethod.get, ResourceType.clientencryptionkey, link) : await aadHeaders(em, READER);
  if (o.maxItemCount !== undefined) headers['x-ms-max-item-count'] = String(o.maxItemCount);
  if (o.continuation !== undefined) headers['x-ms-continuation'] = o.continuation;
  return rawRequest(life.cert, `${em.endpoint}${link}/clientencryptionkeys`, { headers });
}

/** Follows continuations to the end; returns the pages. */
async function listAll(em: CosmosEmulator, auth: Auth, maxItemCount?: number, between?: (pageNo: number) => Promise<void>): Promise<RawResponse[]> {
  const pages: RawResponse[] = [];
  let continuation: string | undefined;
  do {
    const res = await listPage(em, auth, DB, { ...(maxItemCount !== undefined ? { maxItemCount } : {}), ...(continuation !== undefined ? { continuation } : {}) });
    expect(res.status).toBe(200);
    pages.push(res);
    const c = res.headers['x-ms-continuation'];
    continuation = typeof c === 'string' ? c : undefined;
    await between?.(pages.length);
  } while (continuation !== undefined && pages.length < 50);
  return pages;
}

const idsOf = (page: RawResponse): string[] => ((page.json['ClientEncryptionKeys'] ?? []) as Array<{ id: string }>).map((c) => c.id);

describe('CEK read feed', () => {
  it.each([
    { auth: 'master' as const, count: 7, maxItemCount: 3, pages: [3, 3, 1] },
    { auth: 'aad-reader' as const, count: 7, maxItemCount: 3, pages: [3, 3, 1] },
    { auth: 'master' as const, count: 6, maxItemCount: 3, pages: [3, 3] },
    { auth: 'master' as const, count: 2, maxItemCount: 10, pages: [2] },
    { auth: 'aad-reader' as const, count: 5, maxItemCount: undefined, pages: [5] },
  ])('$count CEKs, $maxItemCount per page, as $auth: pages $pages, every CEK exactly once', async ({ auth, count, maxItemCount, pages: sizes }) => {
    const em = await emulator(count);
    const pages = await listAll(em, auth, maxItemCount);
    expect(pages.map((p) => p.json['_count'])).toEqual(sizes);
    expect(pages.map((p) => p.headers['x-ms-item-count'])).toEqual(sizes.map(String));
    // Only the last page has no continuation.
    expect(pages.map((p) => p.headers['x-ms-continuation'] !== undefined)).toEqual(sizes.map((_, i) => i < sizes.length - 1));
    expect(pages.flatMap(idsOf)).toEqual(em.ceks(DB).map((c) => c.id));
    expect(new Set(pages.flatMap(idsOf)).size).toBe(count);
  });

  it('returns CEKs in the shape of a read, under the database rid', async () => {
    const em = await emulator(1);
    const [page] = await listAll(em, 'master');
    const stored = em.cek(DB, 'cek-00');
    if (!page || !stored) throw new Error('nothing listed');
    expect(Object.keys(page.json)).toEqual(['_rid', 'ClientEncryptionKeys', '_count']);
    const dbRead = await rawRequest(life.cert, `${em.endpoint}dbs/${DB}`, { headers: await masterKeyHeaders(em.masterKey, HTTPMethod.get, ResourceType.database, `dbs/${DB}`) });
    expect(page.json['_rid']).toBe(dbRead.json['_rid']);
    expect(page.json['ClientEncryptionKeys']).toEqual([
      {
        id: 'cek-00',
        encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256',
        keyWrapMetadata: wrapMetadata(KEK_V1),
        wrappedDataEncryptionKey: stored.wrappedDataEncryptionKey.toString('base64'),
        _rid: stored._rid,
        _self: stored._self,
        _etag: stored._etag,
        _ts: stored._ts,
      },
    ]);
    expect(stored._self).toBe(`dbs/${String(page.json['_rid'])}/clientencryptionkeys/${stored._rid}/`);
  });

  it('uses the emulator page size when the request sets none (or -1)', async () => {
    const em = await emulator(5, 2);
    expect((await listAll(em, 'master')).map((p) => p.json['_count'])).toEqual([2, 2, 1]);
    expect((await listAll(em, 'master', -1)).map((p) => p.json['_count'])).toEqual([2, 2, 1]);
  });

  it('lists every CEK that existed throughout exactly once while others are created and replaced between pages', async () => {
    const em = await emulator(6);
    const before = em.ceks(DB).map((c) => c.id);
    const pages = await listAll(em, 'master', 2, async (pageNo) => {
      if (pageNo !== 1) return;
      // Between page 1 and 2: replace an already-listed CEK and one not yet listed, and add one.
      for (const id of ['cek-00', 'cek-04']) {
        const link = `dbs/${DB}/clientencryptionkeys/${id}`;
        const res = await rawRequest(life.cert, `${em.endpoint}${link}`, {
          method: 'PUT',
          headers: { ...(await masterKeyHeaders(em.masterKey, HTTPMethod.put, ResourceType.clientencryptionkey, link)), 'Content-Type': 'application/json' },
          body: JSON.stringify({ id, encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: wrapMetadata(kek('feedfacefeedfacefeedfacefeedface')), wrappedDataEncryptionKey: 'AAEC' }),
        });
        expect(res.status).toBe(200);
      }
      const link = `dbs/${DB}`;
      const created = await rawRequest(life.cert, `${em.endpoint}${link}/clientencryptionkeys`, {
        method: 'POST',
        headers: { ...(await masterKeyHeaders(em.masterKey, HTTPMethod.post, ResourceType.clientencryptionkey, link)), 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 'cek-new', encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: wrapMetadata(KEK_V1), wrappedDataEncryptionKey: 'AAEC' }),
      });
      expect(created.status).toBe(201);
    });
    const listed = pages.flatMap(idsOf);
    for (const id of before) expect(listed.filter((x) => x === id)).toHaveLength(1);
    expect(listed.filter((x) => !before.includes(x))).toEqual(['cek-new']);
    // The replaced one not yet listed is listed with its new content.
    const cek04 = (pages.flatMap((p) => p.json['ClientEncryptionKeys'] as Array<{ id: string; keyWrapMetadata: { value: string } }>)).find((c) => c.id === 'cek-04');
    expect(cek04?.keyWrapMetadata.value).toBe(kek('feedfacefeedfacefeedfacefeedface'));
  });

  it('answers an empty database with an empty page, and an unknown one with 404', async () => {
    const em = await emulator(3);
    const empty = await listPage(em, 'master', 'empty');
    expect(empty.status).toBe(200);
    expect(empty.json).toMatchObject({ ClientEncryptionKeys: [], _count: 0 });
    expect(empty.headers['x-ms-continuation']).toBeUndefined();
    const unknown = await listPage(em, 'aad-reader', 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json['code']).toBe('NotFound');
  });

  it.each([
    { name: 'a forged continuation', o: { continuation: 'not-a-token' } },
    { name: 'a zero page size', o: { maxItemCount: 0 } },
    { name: 'a negative page size', o: { maxItemCount: -5 } },
  ])('refuses $name with 400 BadRequest', async ({ o }) => {
    const em = await emulator(3);
    const res = await listPage(em, 'master', DB, o);
    expect(res.status).toBe(400);
    expect(res.json['code']).toBe('BadRequest');
  });
});
