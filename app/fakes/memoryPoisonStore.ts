// In-memory PoisonStore for app/ tests: keyed by stream position like the Table adapter (a redelivery replaces,
// never duplicates), bodies truncated to the same bound, listed in the same (partition, sequence, index) order.
import type { PoisonRecord, PoisonStore } from '../ports.js';
import { truncate } from './truncate.js';

/** Same bounds as adapters/tables/poisonStore.ts. */
export const POISON_BODY_MAX_CHARS = 32_000;
export const POISON_REASON_MAX_CHARS = 4_000;
const DEFAULT_LIST_LIMIT = 1_000;

export class MemoryPoisonStore implements PoisonStore {
  private readonly records = new Map<string, PoisonRecord>();

  async put(record: PoisonRecord): Promise<void> {
    await this.putMany([record]);
  }

  async putMany(records: readonly PoisonRecord[]): Promise<void> {
    for (const record of records) this.store(record);
  }

  private store(record: PoisonRecord): void {
    const key = JSON.stringify([`${record.source}-${record.partitionId}`, record.sequenceNumber, record.recordIndex]);
    this.records.set(key, {
      ...record,
      reason: truncate(record.reason, POISON_REASON_MAX_CHARS),
      body: truncate(record.body, POISON_BODY_MAX_CHARS),
    });
  }

  async list(limit = DEFAULT_LIST_LIMIT): Promise<PoisonRecord[]> {
    return [...this.records.values()].sort(byPosition).slice(0, Math.max(0, limit)).map((r) => ({ ...r }));
  }
}

function byPosition(a: PoisonRecord, b: PoisonRecord): number {
  const pa = `${a.source}-${a.partitionId}`;
  const pb = `${b.source}-${b.partitionId}`;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.sequenceNumber - b.sequenceNumber || a.recordIndex - b.recordIndex;
}

