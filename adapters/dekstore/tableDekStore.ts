// keysteward's envelope DEK store over Table Storage (DESIGN.md §2): one entity per DEK holding its wrapping kid,
// algorithm, wrapped value and the SHA-256 fingerprint of its plaintext — never the plaintext (I8). Rewraps replace
// a row only when its ETag still matches (compareAndSet), so two campaigns, or a campaign and its own crashed
// predecessor, can never both land a value for one DEK (reliability.md R-9).
// Layout: PartitionKey `d<hex>` spreads rows over 16 partitions by a hash of the id (no hot partition during a
// campaign), RowKey the encoded id. A scan by kid is a filtered query across partitions, continued by token.
import { createHash } from 'node:crypto';
import { odata, type TableEntityResult } from '@azure/data-tables';
import { matchesFilter, normaliseFilter, normaliseNewDek, normaliseRewrapped } from '../../app/rewrap/dekRules.js';
import type { DekFilter, DekPage, DekRecord, DekStore, NewDek, Rewrapped } from '../../app/rewrap/ports.js';
import { canonicalKid, prefixUpperBound } from '../../domain/rewrap/kid.js';
import { openTable, type LazyTable, type TableConnection } from '../tables/connection.js';
import { CorruptEntityError, statusOf } from '../tables/errors.js';
import { encodeKey } from '../tables/keys.js';

export const DEK_TABLE = 'deks';
/** Layout version of the entity. */
const LAYOUT = 1;
/** Table Storage returns at most 1,000 entities per page. */
const MAX_PAGE = 1000;

interface DekEntity {
  readonly v: number;
  readonly id: string;
  readonly kid: string;
  readonly alg: string;
  readonly wrapped: string;
  readonly fingerprint: string;
}

export function partitionOf(id: string): string {
  return `d${createHash('sha256').update(id, 'utf8').digest('hex').charAt(0)}`;
}

/** OData for a normalised filter; undefined when it selects everything. */
function odataFilter(f: DekFilter): string | undefined {
  const parts: string[] = [];
  // A range on the canonical (ASCII, lower-case) kid: ordinal string comparison is exactly "starts with".
  if (f.kidPrefix) parts.push(odata`kid ge ${f.kidPrefix} and kid lt ${prefixUpperBound(f.kidPrefix)}`);
  if (f.notKid !== undefined) parts.push(odata`kid ne ${f.notKid}`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

export class TableDekStore implements DekStore {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? DEK_TABLE);
  }

  async insert(dek: NewDek): Promise<'ok' | 'exists'> {
    const row = normaliseNewDek(dek);
    const client = await this.table.ready();
    const entity: DekEntity & { partitionKey: string; rowKey: string } = { partitionKey: partitionOf(row.id), rowKey: encodeKey(row.id), v: LAYOUT, ...row };
    try {
      await client.createEntity(entity);
      return 'ok';
    } catch (err) {
      if (statusOf(err) === 409) return 'exists';
      throw err;
    }
  }

  async get(id: string): Promise<DekRecord | null> {
    const client = await this.table.ready();
    try {
      return this.toRecord(await client.getEntity<DekEntity>(partitionOf(id), encodeKey(id)), id);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async list(filter: DekFilter, pageToken?: string, pageSize = MAX_PAGE): Promise<DekPage> {
    const f = normaliseFilter(filter);
    const client = await this.table.ready();
    const filterText = odataFilter(f);
    const pages = client
      .listEntities<DekEntity>({ queryOptions: filterText !== undefined ? { filter: filterText } : {} })
      .byPage({ maxPageSize: Math.max(1, Math.min(MAX_PAGE, Math.floor(pageSize))), ...(pageToken !== undefined ? { continuationToken: pageToken } : {}) });
    const first = await pages.next();
    if (first.done) return { items: [], next: null };
    const page = first.value;
    // The service applied the filter; it is applied again so that a row in an older, non-canonical form can never
    // be handed to a campaign as if it matched.
    const items = page.map((e) => this.toRecord(e)).filter((r) => matchesFilter(r.kid, f));
    return { items, next: page.continuationToken ?? null };
  }

  async compareAndSet(id: string, expectedKid: string, next: Rewrapped, etag: string): Promise<'ok' | 'conflict'> {
    const n = normaliseRewrapped(next);
    canonicalKid(expectedKid); // a malformed expectation is a caller bug: refuse it as the memory store does
    const client = await this.table.ready();
    try {
      // Merge, not Replace: id and fingerprint are never rewritten by a rewrap. The ETag pins the row version the
      // caller read (and with it the kid it saw), so the write lands only if nothing changed since.
      await client.updateEntity({ partitionKey: partitionOf(id), rowKey: encodeKey(id), kid: n.kid, alg: n.alg, wrapped: n.wrapped }, 'Merge', { etag });
      return 'ok';
    } catch (err) {
      const status = statusOf(err);
      // 412: changed since the read; 404: deleted since the read.
      if (status === 412 || status === 404) return 'conflict';
      throw err;
    }
  }

  async countByKid(filter: DekFilter = {}): Promise<Map<string, number>> {
    const f = normaliseFilter(filter);
    const client = await this.table.ready();
    const filterText = odataFilter(f);
    const counts = new Map<string, number>();
    const query = { select: ['kid'], ...(filterText !== undefined ? { filter: filterText } : {}) };
    for await (const page of client.listEntities<{ kid: string }>({ queryOptions: query }).byPage({ maxPageSize: MAX_PAGE })) {
      for (const e of page) if (typeof e.kid === 'string' && matchesFilter(e.kid, f)) counts.set(e.kid, (counts.get(e.kid) ?? 0) + 1);
    }
    return counts;
  }

  private toRecord(e: TableEntityResult<DekEntity>, expectedId?: string): DekRecord {
    const pk = e.partitionKey ?? '';
    const rk = e.rowKey ?? '';
    const corrupt = (detail: string): CorruptEntityError => new CorruptEntityError(this.table.name, pk, rk, detail);
    if (e.v !== LAYOUT) throw corrupt(`unknown layout v=${String(e.v)}`);
    if (typeof e.id !== 'string' || encodeKey(e.id) !== rk || (expectedId !== undefined && e.id !== expectedId)) throw corrupt('stored id does not match its key');
    for (const field of ['kid', 'alg', 'wrapped', 'fingerprint'] as const) if (typeof e[field] !== 'string') throw corrupt(`${field} is missing`);
    if (e.etag === undefined) throw corrupt('no ETag');
    return { id: e.id, kid: e.kid, alg: e.alg, wrapped: e.wrapped, fingerprint: e.fingerprint, etag: e.etag };
  }
}
