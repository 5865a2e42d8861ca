// StateStore over Table Storage: one entity per protector, replaced only when its ETag still matches, so two
// instances folding events for the same protector never lose each other's updates (DESIGN.md §2, I5).
import type { SaveResult, StateStore, StoredSnapshot } from '../../app/ports.js';
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
    const corrupt = (detail: string): CorruptEntityError => new CorruptEntityError(this.table.name, pk, ROW, detail);
    if (entity.v !== LAYOUT) throw corrupt(`unknown layout v=${String(entity.v)}`);
    if (entity.protectorId !== protectorId) throw corrupt('stored protectorId does not match its key');
    const json = fromChunkProperties(entity, 's', entity.chunks);
    if (json === null) throw corrupt('missing or malformed chunks');
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw corrupt('snapshot is not valid JSON');
    }
    const parsed = parseSnapshot(value);
    if (!parsed.ok) throw corrupt(`snapshot fails its schema: ${parsed.error}`);
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
