// PoisonStore over Table Storage (I4: every event is applied or stored here).
//
// The rejected records of one message are stored together, in pages: one entity holds as many of them, in stream
// order, as fit in about 400,000 characters of JSON (so a normal message — an Event Hubs message of ≤ 1 MB, an
// Event Grid batch — is one or a few entities, and one hostile delivery of 100,000 malformed events is a handful
// instead of 100,000 writes, which took Azurite minutes and held the sender past its 30 s timeout). A page is keyed
// by its message's position in the stream and its first record's index, and is packed the same way from the same
// records, so a redelivered message (E-2) rewrites the same entities instead of adding more. Listing unpacks the pages
// and keeps one record per position (the one written last), whatever mix of put and putMany stored them.
import type { PoisonRecord, PoisonStore } from '../../app/ports.js';
import { asciiJson, entityBytes, fitsInEntity, fromChunkProperties, toChunkProperties, truncateText } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError } from './errors.js';
import { encodeKey, sortableNumber } from './keys.js';
import { upsertAll, type UpsertEntity } from './transactions.js';

export const POISON_TABLE = 'poison';
/** A record's body is kept up to 32,000 characters (its start: enough to see what it was). */
export const POISON_BODY_MAX_CHARS = 32_000;
export const POISON_REASON_MAX_CHARS = 4_000;
/** JSON characters per page: ~800 KB of UTF-16, under the 1 MiB entity limit with the page's other properties. */
export const PAGE_MAX_CHARS = 400_000;
const DEFAULT_LIST_LIMIT = 1_000;
const SOURCES: ReadonlySet<string> = new Set<PoisonRecord['source']>(['keyvault-audit', 'activity-log', 'event-grid', 'unknown']);

/** One record inside a page: its index in the message, why it was refused, and (the start of) its text. */
interface PageRecord {
  readonly i: number;
  readonly reason: string;
  readonly body: string;
  /** The body's length before truncation. */
  readonly chars: number;
}

export class TablePoisonStore implements PoisonStore {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? POISON_TABLE);
  }

  async put(record: PoisonRecord): Promise<void> {
    await this.putMany([record]);
  }

  /** One message's records become pages; pages are upserted in transactions (up to 100 per partition). */
  async putMany(records: readonly PoisonRecord[]): Promise<void> {
    if (records.length === 0) return;
    const client = await this.table.ready();
    await upsertAll(client, [...groupByMessage(records).values()].flatMap(pagesOf));
  }

  async list(limit = DEFAULT_LIST_LIMIT): Promise<PoisonRecord[]> {
    const out = new Map<string, { record: PoisonRecord; writtenAt: string }>();
    if (limit <= 0) return [];
    const client = await this.table.ready();
    for await (const e of client.listEntities<Record<string, unknown>>()) {
      const writtenAt = typeof e.timestamp === 'string' ? e.timestamp : '';
      for (const record of this.fromEntity(e)) {
        const key = `${record.source}\u0000${record.partitionId}\u0000${record.sequenceNumber}\u0000${record.recordIndex}`;
        const seen = out.get(key);
        // Kept in first-listed order; a position stored twice keeps the text written last.
        if (!seen) out.set(key, { record, writtenAt });
        else if (writtenAt > seen.writtenAt) seen.record = record;
      }
      if (out.size >= limit) break;
    }
    return [...out.values()].slice(0, limit).map((x) => x.record);
  }

  private fromEntity(e: Record<string, unknown> & { partitionKey?: string; rowKey?: string }): PoisonRecord[] {
    const corrupt = (why: string): CorruptEntityError => new CorruptEntityError(this.table.name, e.partitionKey ?? '?', e.rowKey ?? '?', why);
    const { source, partitionId, offset, receivedAt } = e;
    if (typeof source !== 'string' || !SOURCES.has(source) || typeof partitionId !== 'string' || typeof offset !== 'string' || typeof receivedAt !== 'string' || typeof e.sequenceNumber !== 'string') {
      throw corrupt('missing or mistyped poison fields');
    }
    const sequenceNumber = Number(e.sequenceNumber);
    const text = fromChunkProperties(e, 'records', e.recordChunks);
    if (text === null) throw corrupt('page text missing');
    let page: unknown;
    try {
      page = JSON.parse(text);
    } catch {
      throw corrupt('page text is not JSON');
    }
    if (!Array.isArray(page) || !page.every(isPageRecord)) throw corrupt('page records mistyped');
    return page.map((r) => ({ source: source as PoisonRecord['source'], partitionId, offset, sequenceNumber, recordIndex: r.i, reason: r.reason, body: r.body, receivedAt }));
  }
}

function isPageRecord(value: unknown): value is PageRecord {
  const r = value as Partial<PageRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.i === 'number' && typeof r.reason === 'string' && typeof r.body === 'string';
}

const messageKey = (r: PoisonRecord): string => JSON.stringify([r.source, r.partitionId, r.sequenceNumber, r.offset, r.receivedAt]);

/** Records by message, each message's in index order; a position given twice keeps the last one given. */
function groupByMessage(records: readonly PoisonRecord[]): Map<string, PoisonRecord[]> {
  const messages = new Map<string, Map<number, PoisonRecord>>();
  for (const r of records) {
    const key = messageKey(r);
    let byIndex = messages.get(key);
    if (!byIndex) messages.set(key, (byIndex = new Map()));
    byIndex.set(r.recordIndex, r);
  }
  return new Map([...messages].map(([key, byIndex]) => [key, [...byIndex.values()].sort((a, b) => a.recordIndex - b.recordIndex)]));
}

/** A message's records packed greedily in index order: the same records always give the same pages. */
function pagesOf(records: readonly PoisonRecord[]): UpsertEntity[] {
  const pages: UpsertEntity[] = [];
  let page: string[] = [];
  let first = records[0] as PoisonRecord;
  let chars = 2;
  const flush = (): void => {
    if (page.length > 0) pages.push(pageEntity(first, `[${page.join(',')}]`));
    page = [];
    chars = 2;
  };
  for (const r of records) {
    const item: PageRecord = { i: r.recordIndex, reason: truncateText(r.reason, POISON_REASON_MAX_CHARS), body: truncateText(r.body, POISON_BODY_MAX_CHARS), chars: r.body.length };
    const json = asciiJson(item);
    if (page.length > 0 && chars + json.length + 1 > PAGE_MAX_CHARS) flush();
    if (page.length === 0) first = r;
    page.push(json);
    chars += json.length + 1;
  }
  flush();
  return pages;
}

function pageEntity(first: PoisonRecord, text: string): UpsertEntity {
  const { properties, count } = toChunkProperties('records', text);
  const partitionKey = encodeKey(`${first.source}-${first.partitionId}`);
  // Sequence numbers are int64 and record indexes unbounded: padded so RowKeys sort in stream order.
  const rowKey = `${sortableNumber(first.sequenceNumber, 20)}-${sortableNumber(first.recordIndex, 10)}`;
  const entity: UpsertEntity = {
    partitionKey,
    rowKey,
    source: first.source,
    partitionId: first.partitionId,
    offset: first.offset,
    // Strings, not numbers: an untyped JSON number is Int32 to the service, and sequence numbers are int64.
    sequenceNumber: String(first.sequenceNumber),
    receivedAt: first.receivedAt,
    recordChunks: count,
    ...properties,
  };
  const { partitionKey: pk, rowKey: rk, ...rest } = entity;
  // One record is at most ~220,000 characters of JSON (body and reason truncated; every non-ASCII character escaped to
  // six), so a page of one always fits; a fuller page stops below PAGE_MAX_CHARS.
  if (!fitsInEntity(entityBytes(pk, rk, rest))) throw new RangeError(`poison page ${pk}/${rk} would exceed the entity size limit`);
  return entity;
}
