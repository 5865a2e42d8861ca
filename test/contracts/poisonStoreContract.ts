// The PoisonStore contract (app/ports.ts, I4): what is put is listed, and the same stream position stored twice
// (a redelivered batch, E-2) is one record — whether put one by one or many at once (putMany: batched writes).
import { describe, expect, it } from 'vitest';
import type { PoisonStore } from '../../app/ports.js';
import { poison } from './fixtures.js';

export function poisonStoreContract(name: string, makeStore: () => PoisonStore | Promise<PoisonStore>): void {
  describe(`PoisonStore contract: ${name}`, () => {
    it('lists nothing when empty', async () => {
      const store = await makeStore();
      expect(await store.list()).toEqual([]);
    });

    it('lists what was put, field for field', async () => {
      const store = await makeStore();
      const record = poison({ sequenceNumber: 2 ** 53 - 1, recordIndex: 3, offset: '123456789012', partitionId: '7' });
      await store.put(record);
      expect(await store.list()).toStrictEqual([record]);
    });

    it('is idempotent for the same (source, partition, sequence, record index)', async () => {
      const store = await makeStore();
      await store.put(poison({ reason: 'first delivery' }));
      await store.put(poison({ reason: 'second delivery' }));
      await Promise.all(Array.from({ length: 10 }, () => store.put(poison({ reason: 'parallel delivery' }))));
      const listed = await store.list();
      expect(listed).toHaveLength(1);
      expect(listed[0]?.reason).toBe('parallel delivery');
    });

    it('keeps records that differ in any part of their position', async () => {
      const store = await makeStore();
      const records = [
        poison(),
        poison({ recordIndex: 1 }),
        poison({ sequenceNumber: 2 }),
        poison({ partitionId: '1' }),
        poison({ source: 'activity-log' }),
        poison({ source: 'unknown', partitionId: 'weird/partition#?' }),
      ];
      for (const r of records) await store.put(r);
      const listed = await store.list();
      expect(listed).toHaveLength(records.length);
      expect(new Set(listed.map((r) => JSON.stringify(r)))).toEqual(new Set(records.map((r) => JSON.stringify(r))));
    });

    it('lists one partition in stream order (sequence, then record index), and honours the limit', async () => {
      const store = await makeStore();
      const positions: [number, number][] = [[10, 0], [2, 1], [2, 0], [100, 0], [1, 11], [1, 2]];
      for (const [sequenceNumber, recordIndex] of positions) await store.put(poison({ sequenceNumber, recordIndex }));
      expect((await store.list()).map((r) => [r.sequenceNumber, r.recordIndex])).toEqual([[1, 2], [1, 11], [2, 0], [2, 1], [10, 0], [100, 0]]);
      expect(await store.list(2)).toHaveLength(2);
    });

    it('truncates a large body to at most 32,000 characters, keeping a prefix and whole surrogate pairs', async () => {
      const store = await makeStore();
      const body = `${'x'.repeat(31_999)}🔑${'y'.repeat(10_000)}`;
      await store.put(poison({ body }));
      const [listed] = await store.list();
      expect(listed?.body.length).toBeLessThanOrEqual(32_000);
      expect(listed?.body.length).toBeGreaterThanOrEqual(31_999);
      expect(body.startsWith(listed?.body ?? '-')).toBe(true);
      expect(listed?.body).toBe('x'.repeat(31_999));
    });

    it('putMany stores every record of a large batch across partitions, each once, listed in stream order', async () => {
      const store = await makeStore();
      // 2,500 records of one message (25 transactions' worth), 30 in another partition, and one in a third.
      const many = [
        ...Array.from({ length: 2_500 }, (_, i) => poison({ partitionId: 'eventgrid-a', source: 'unknown', sequenceNumber: 0, recordIndex: i, body: `{"x":${i}}` })),
        ...Array.from({ length: 30 }, (_, i) => poison({ partitionId: '5', sequenceNumber: 100 + i })),
        poison({ source: 'activity-log', partitionId: 'weird/partition#?' }),
      ];
      await store.putMany(many);
      const listed = await store.list(10_000);
      expect(listed).toHaveLength(many.length);
      expect(new Set(listed.map((r) => JSON.stringify(r)))).toEqual(new Set(many.map((r) => JSON.stringify(r))));
      const grid = listed.filter((r) => r.partitionId === 'eventgrid-a');
      expect(grid.map((r) => r.recordIndex)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    });

    it('putMany is idempotent: a redelivered batch, and a position given twice in one call, is one record (the last given)', async () => {
      const store = await makeStore();
      const batch = Array.from({ length: 120 }, (_, i) => poison({ recordIndex: i, reason: 'first delivery' }));
      await store.putMany(batch);
      await store.putMany([...batch.map((r) => ({ ...r, reason: 'redelivery' })), poison({ recordIndex: 7, reason: 'last given' })]);
      const listed = await store.list(10_000);
      expect(listed).toHaveLength(120);
      expect(listed.filter((r) => r.reason === 'redelivery')).toHaveLength(119);
      expect(listed.find((r) => r.recordIndex === 7)?.reason).toBe('last given');
      await store.putMany([]);
      expect(await store.list(10_000)).toHaveLength(120);
    });

    it('putMany stores 100 records with bodies at the bound (more than one transaction can carry), text intact', async () => {
      const store = await makeStore();
      // Non-ASCII, quotes, backslashes and control characters make the wire larger than the character count:
      // 100 such rows are ~9 MB of JSON, more than two 4 MiB transactions.
      const body = (i: number): string => `${String(i).padStart(3, '0')}${'é€🔑"\\\u0001'.repeat(6_000)}`;
      const big = Array.from({ length: 100 }, (_, i) => poison({ recordIndex: i, body: body(i), reason: 'ü'.repeat(5_000) }));
      await store.putMany(big);
      const listed = await store.list(10_000);
      expect(listed).toHaveLength(100);
      for (const r of listed) {
        expect(body(r.recordIndex).startsWith(r.body)).toBe(true);
        expect(r.body.length).toBeGreaterThanOrEqual(31_999);
        expect(r.reason).toBe('ü'.repeat(4_000));
      }
    });
  });
}
