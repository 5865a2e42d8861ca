// PoisonStore over Table Storage (I4: every event is applied or stored here). Keyed by its position in the
// stream, so a redelivered batch (E-2) rewrites the same entity instead of adding a second one.
import type { PoisonRecord, PoisonStore } from '../../app/ports.js';
import { truncateText } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError } from './errors.js';
import { encodeKey, sortableNumber } from './keys.js';

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
    const client = await this.table.ready();
    // Upsert (Replace): storing the same position twice is one record, whichever delivery wrote last.
    await client.upsertEntity(
      {
        partitionKey: encodeKey(`${record.source}-${record.partitionId}`),
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
      },
      'Replace',
    );
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
