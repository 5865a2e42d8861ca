// StateStore over Table Storage: one entity per protector, replaced only when its ETag still matches, so two
// instances folding events for the same protector never lose each other's updates (DESIGN.md §2, I5).
import { odata } from '@azure/data-tables';
import type { SaveResult, StateEntry, StatePage, StateRange, StateStore, StoredSnapshot } from '../../app/ports.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';
import { entityBytes, fitsInEntity, fromChunkProperties, MAX_ENTITY_BYTES, asciiJson, toChunkProperties } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, EntityTooLargeError, statusOf } from './errors.js';
import { encodeKey } from './keys.js';
import { parseSnapshot } from './snapshotSchema.js';

export const STATE_TABLE = 'protectorstate';
const ROW = 'state';
/** Layout version of the entity (chunked JSON in s0..sN), independent of the snapshot's own `v`. */
const LAYOUT = 1;
/** Table Storage returns at most 1,000 entities per query response. */
const MAX_PAGE = 1000;

export class TableStateStore implements StateStore {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? STATE_TABLE);
  }

  async load(protectorId: string): Promise<StoredSnapshot | null> {
    const client = await this.table.ready();
    const pk = encodeKey(protectorId);
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await client.getEntity<Record<string, unknown>>(pk, ROW);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
    if (entity.protectorId !== protectorId) throw this.corrupt(pk, 'stored protectorId does not match its key');
    return this.decode(pk, entity);
  }

  /**
   * A range scan over the partition keys (one query, `top` = limit, following continuation tokens only past empty
   * pages), so a sweep reads 10,000 states in about 10,000 / limit round trips instead of one per protector.
   * Positions are PartitionKeys, compared by the service itself in the filter: the order is Table Storage's.
   */
  async list(range: StateRange): Promise<StatePage> {
    if (!Number.isInteger(range.limit) || range.limit < 1 || range.limit > MAX_PAGE) throw new RangeError(`limit must be an integer in 1..${MAX_PAGE}`);
    const client = await this.table.ready();
    const after = range.after ?? null;
    const until = range.until ?? null;
    let filter = odata`RowKey eq ${ROW}`;
    if (after !== null) filter += ` and ${odata`PartitionKey gt ${after}`}`;
    if (until !== null) filter += ` and ${odata`PartitionKey le ${until}`}`;
    const pages = client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: range.limit });
    // Azure may answer a page with fewer entities than asked (even none) plus a continuation token: read on until
    // there is at least one entity or the range is exhausted, never returning an empty page that has more behind it.
    for await (const page of pages) {
      if (page.length === 0 && page.continuationToken !== undefined) continue;
      const entries = page.map((e): StateEntry => {
        const pk = String(e.partitionKey);
        const protectorId = typeof e.protectorId === 'string' ? e.protectorId : null;
        try {
          if (protectorId === null || encodeKey(protectorId) !== pk) throw this.corrupt(pk, 'stored protectorId does not match its key');
          return { ok: true, position: pk, protectorId, stored: this.decode(pk, e as Record<string, unknown> & { etag: string }) };
        } catch (err) {
          return { ok: false, position: pk, protectorId, error: err instanceof Error ? err.message : String(err) };
        }
      });
      return { entries, more: page.continuationToken !== undefined };
    }
    return { entries: [], more: false };
  }

  private corrupt(pk: string, detail: string): CorruptEntityError {
    return new CorruptEntityError(this.table.name, pk, ROW, detail);
  }

  /** The snapshot of an entity whose identity was checked; throws CorruptEntityError when it does not parse. */
  private decode(pk: string, entity: Record<string, unknown> & { etag: string }): StoredSnapshot {
    if (entity.v !== LAYOUT) throw this.corrupt(pk, `unknown layout v=${String(entity.v)}`);
    const json = fromChunkProperties(entity, 's', entity.chunks);
    if (json === null) throw this.corrupt(pk, 'missing or malformed chunks');
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw this.corrupt(pk, 'snapshot is not valid JSON');
    }
    const parsed = parseSnapshot(value);
    if (!parsed.ok) throw this.corrupt(pk, `snapshot fails its schema: ${parsed.error}`);
    return { snapshot: parsed.snapshot, etag: entity.etag };
  }

  async save(protectorId: string, snapshot: ProtectorSnapshot, etag: string | null): Promise<SaveResult> {
    const pk = encodeKey(protectorId);
    const { properties, count } = toChunkProperties('s', asciiJson(snapshot));
    const fields = { protectorId, v: LAYOUT, chunks: count, ...properties };
    const bytes = entityBytes(pk, ROW, fields);
    // Refuse rather than let the service cut or reject half a state; snapshots are bounded by compaction.
    if (!fitsInEntity(bytes)) throw new EntityTooLargeError(this.table.name, bytes, MAX_ENTITY_BYTES);
    const client = await this.table.ready();
    const entity = { partitionKey: pk, rowKey: ROW, ...fields };
    try {
      // 'Replace' (not 'Merge'): a smaller snapshot must not leave stale chunks from a larger one behind.
      const res = etag === null ? await client.createEntity(entity) : await client.updateEntity(entity, 'Replace', { etag });
      if (res.etag === undefined) throw new Error(`Table Storage returned no ETag for ${this.table.name}/${pk}`);
      return { ok: true, etag: res.etag };
    } catch (err) {
      const status = statusOf(err);
      // 409: created by someone else first. 412: replaced since our read. 404: deleted since our read.
      // (An SDK retry of our own timed-out write can also surface as a conflict: the caller reloads and refolds,
      // which I5 makes harmless.)
      if (status === 409 || status === 412 || (status === 404 && etag !== null)) return { ok: false, reason: 'conflict' };
      throw err;
    }
  }
}
