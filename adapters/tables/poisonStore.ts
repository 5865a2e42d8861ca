// PoisonStore over Table Storage (I4: every event is applied or stored here). Keyed by its position in the
// stream, so a redelivered batch (E-2) rewrites the same entity instead of adding a second one. A batch's records
// are written in entity group transactions (adapters/tables/transactions.ts), a few at a time.
import type { PoisonRecord, PoisonStore } from '../../app/ports.js';
import { truncateText } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError } from './errors.js';
import { encodeKey, sortableNumber } from './keys.js';
import { upsertAll, type UpsertEntity } from './transactions.js';

export const POISON_TABLE = 'poison';
/** 64,000 bytes of UTF-16: one string property (the limit is 64 KiB). */
export const POISON_BODY_MAX_CHARS = 32_000;
export const POISON_REASON_MAX_CHARS = 4_000;
const DEFAULT_LIST_LIMIT = 1_000;
const SOURCES: ReadonlySet<string> = new Set<PoisonRecord['source']>(['keyvault-audit', 'activity-log', 'event-grid', 'unknown']);

export class TablePoisonStore implements PoisonStore {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? POISON_TABLE);
  }

  async put(record: PoisonRecord): Promise<void> {
    await this.putMany([record]);
  }

  /** Upserts (Replace) in transactions of up to 100 per partition: storing the same position twice is one record. */
  async putMany(records: readonly PoisonRecord[]): Promise<void> {
    if (records.length === 0) return;
    const client = await this.table.ready();
    await upsertAll(client, records.map(toEntity));
  }

  async list(limit = DEFAULT_LIST_LIMIT): Promise<PoisonRecord[]> {
    const client = await this.table.ready();
    const out: PoisonRecord[] = [];
    if (limit <= 0) return out;
    for await (const e of client.listEntities<Record<string, unknown>>()) {
      out.push(this.fromEntity(e));
      if (out.length >= limit) break;
    }
    return out;
  }

  private fromEntity(e: Record<string, unknown> & { partitionKey?: string; rowKey?: string }): PoisonRecord {
    const { source, partitionId, offset, reason, body, receivedAt } = e;
    const sequenceNumber = Number(e.sequenceNumber);
    const recordIndex = Number(e.recordIndex);
    if (
      typeof source !== 'string' || !SOURCES.has(source) || typeof partitionId !== 'string' || typeof offset !== 'string' ||
      typeof reason !== 'string' || typeof body !== 'string' || typeof receivedAt !== 'string' ||
      typeof e.sequenceNumber !== 'string' || typeof e.recordIndex !== 'string'
    ) {
      throw new CorruptEntityError(this.table.name, e.partitionKey ?? '?', e.rowKey ?? '?', 'missing or mistyped poison fields');
    }
    return { source: source as PoisonRecord['source'], partitionId, offset, sequenceNumber, recordIndex, reason, body, receivedAt };
  }
}

/**
 * Records of one message share a PartitionKey, up to index 999: every real message (an Event Hubs message holds at
 * most 1 MB, ~1,000 audit records; an Event Grid batch at most 5,000 events) keeps the plain `<source>-<partition>`
 * key. Past that, each further 1,000 get their own (`…~1`, `…~2`): one hostile message of 100,000 records would
 * otherwise pile into one partition, which Azure serves at about 2,000 entities/s and Azurite scans linearly on
 * every write. Such rows list after the rest of their stream partition.
 */
const RECORDS_PER_PARTITION = 1_000;

function partitionKeyOf(record: PoisonRecord): string {
  const base = encodeKey(`${record.source}-${record.partitionId}`);
  const bucket = Number.isSafeInteger(record.recordIndex) && record.recordIndex > 0 ? Math.floor(record.recordIndex / RECORDS_PER_PARTITION) : 0;
  return bucket === 0 ? base : `${base}~${bucket}`;
}

/**
 * Size check: body 32,000 UTF-16 units (64,000 bytes, under the 64 KiB string property limit) plus reason 8,000
 * bytes and small fields is about 73 KB, far under the 1 MiB entity limit; the batch planner sizes transactions so
 * 100 such entities (7 MB) are split under the 4 MiB batch limit.
 */
function toEntity(record: PoisonRecord): UpsertEntity {
  return {
    partitionKey: partitionKeyOf(record),
    // Sequence numbers are int64 and record indexes unbounded: padded so RowKeys sort in stream order.
    rowKey: `${sortableNumber(record.sequenceNumber, 20)}-${sortableNumber(record.recordIndex, 10)}`,
    source: record.source,
    partitionId: record.partitionId,
    offset: record.offset,
    // Strings, not numbers: an untyped JSON number is Int32 to the service, and sequence numbers are int64.
    sequenceNumber: String(record.sequenceNumber),
    recordIndex: String(record.recordIndex),
    reason: truncateText(record.reason, POISON_REASON_MAX_CHARS),
    body: truncateText(record.body, POISON_BODY_MAX_CHARS),
    bodyChars: record.body.length,
    receivedAt: record.receivedAt,
  };
}
