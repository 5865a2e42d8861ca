// Many upserts as entity group transactions (TableClient.submitTransaction): Table Storage takes at most 100
// operations and 4 MiB of payload per batch, all in one PartitionKey, and refuses a batch that names one entity
// twice. Batches go out a few at a time, so a write of 100,000 entities holds a bounded number of sockets.
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { mapLimit } from '../../app/concurrency.js';
import { entityBytes } from './chunks.js';

/** Table Storage's limit of operations per batch. */
export const MAX_BATCH_OPERATIONS = 100;
/** Payload per batch: Azure's 4 MiB less room for the multipart framing (each operation adds its own headers). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024 - 512 * 1024;
const OPERATION_OVERHEAD_BYTES = 1024;
/** Batches in flight at once. */
export const TRANSACTION_CONCURRENCY = 8;

export type UpsertEntity = TableEntity<Record<string, string | number | boolean>>;

/**
 * Groups entities into batches: one PartitionKey each, at most 100 operations and MAX_BATCH_BYTES, each entity
 * once (when the same key is given twice, the later one is kept, as two upserts in a row would leave it).
 */
export function planBatches(entities: readonly UpsertEntity[]): UpsertEntity[][] {
  const byPartition = new Map<string, Map<string, UpsertEntity>>();
  for (const e of entities) {
    let rows = byPartition.get(e.partitionKey);
    if (!rows) byPartition.set(e.partitionKey, (rows = new Map()));
    rows.set(e.rowKey, e);
  }
  const batches: UpsertEntity[][] = [];
  for (const rows of byPartition.values()) {
    let batch: UpsertEntity[] = [];
    let bytes = 0;
    for (const e of rows.values()) {
      const { partitionKey, rowKey, ...properties } = e;
      const size = entityBytes(partitionKey, rowKey, properties) + OPERATION_OVERHEAD_BYTES;
      if (batch.length > 0 && (batch.length >= MAX_BATCH_OPERATIONS || bytes + size > MAX_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(e);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
  }
  return batches;
}

/**
 * Upserts (Replace) every entity. Each batch is atomic; the call resolves once all are written, or rejects with
 * the first failure (other batches may be written by then: upserts are idempotent, so the caller retries it all).
 */
export async function upsertAll(client: TableClient, entities: readonly UpsertEntity[], concurrency = TRANSACTION_CONCURRENCY): Promise<void> {
  await mapLimit(planBatches(entities), concurrency, async (batch) => {
    if (batch.length === 1) {
      await client.upsertEntity(batch[0] as UpsertEntity, 'Replace');
      return;
    }
    await client.submitTransaction(batch.map((e): TransactionAction => ['upsert', e, 'Replace']));
  });
}
