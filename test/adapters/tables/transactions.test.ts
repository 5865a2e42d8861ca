// Batch planning for entity group transactions: every entity lands in exactly one batch (the last one given per
// key), each batch is one PartitionKey, at most 100 operations and under the payload bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entityBytes } from '../../../adapters/tables/chunks.js';
import { MAX_BATCH_BYTES, MAX_BATCH_OPERATIONS, planBatches, type UpsertEntity } from '../../../adapters/tables/transactions.js';

const entity = fc.record({
  partitionKey: fc.constantFrom('a', 'b', 'c'),
  rowKey: fc.integer({ min: 0, max: 400 }).map((n) => String(n).padStart(4, '0')),
  n: fc.integer(),
  // Mostly small, sometimes near the 32,000-character property bound with multi-byte text and escapes.
  body: fc.oneof({ weight: 9, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: fc.constantFrom('x', 'é', '"', '\u0001').map((c) => c.repeat(32_000)) }),
});

const sizeOf = (e: UpsertEntity): number => {
  const { partitionKey, rowKey, ...properties } = e;
  return entityBytes(partitionKey, rowKey, properties);
};

describe('planBatches', () => {
  it('covers each key once with its last value, one partition per batch, within the operation and size limits', () => {
    fc.assert(
      fc.property(fc.array(entity, { maxLength: 700 }), (entities) => {
        const batches = planBatches(entities);
        const last = new Map(entities.map((e) => [`${e.partitionKey}/${e.rowKey}`, e]));
        const planned = batches.flat();
        expect(planned).toHaveLength(last.size);
        expect(new Map(planned.map((e) => [`${e.partitionKey}/${e.rowKey}`, e]))).toEqual(last);
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_OPERATIONS);
          expect(new Set(batch.map((e) => e.partitionKey)).size).toBe(1);
          expect(new Set(batch.map((e) => e.rowKey)).size).toBe(batch.length);
          expect(batch.reduce((sum, e) => sum + sizeOf(e), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('fills batches: 250 small entities of one partition are three transactions', () => {
    const entities = Array.from({ length: 250 }, (_, i): UpsertEntity => ({ partitionKey: 'p', rowKey: String(i), n: i }));
    expect(planBatches(entities).map((b) => b.length)).toEqual([100, 100, 50]);
    expect(planBatches([])).toEqual([]);
  });
});
