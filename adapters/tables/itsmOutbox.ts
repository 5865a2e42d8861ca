// The ITSM outbox in Table Storage: one entity per write-back (ticket note, incident transition), inserted once under
// its stable id, listed by the dispatcher when due, leased with ETag compare-and-set before it is sent. Write-backs are
// few (a handful per rotation or incident), so one partition keeps the listing a single query.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { ItsmOutbox, OutboxEntry, OutboxPatch } from '../../app/itsm/ports.js';
import { asciiJson, fromChunkProperties, toChunkProperties, truncateText } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, statusOf } from './errors.js';
import { encodeKey } from './keys.js';
import { leasePendingRow } from './lease.js';

export const ITSM_OUTBOX_TABLE = 'itsmoutbox';
const PARTITION = 'outbox';
const ERROR_MAX_CHARS = 1_000;

const statusSchema = z.enum(['pending', 'sent', 'failed']);

export class TableItsmOutbox implements ItsmOutbox {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? ITSM_OUTBOX_TABLE);
  }

  async put(entry: Omit<OutboxEntry, 'status' | 'attempts' | 'nextAttemptAt'> & { nextAttemptAt?: number }): Promise<boolean> {
    const client = await this.table.ready();
    const { id, kind, createdAt, ticket, text, incident } = entry;
    const { properties, count } = toChunkProperties('b', asciiJson({ ticket, text, incident }));
    try {
      await client.createEntity({ partitionKey: PARTITION, rowKey: encodeKey(id), id, kind, createdAt, status: 'pending', attempts: 0, nextAttemptAt: String(entry.nextAttemptAt ?? 0), done: '[]', chunks: count, ...properties });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  private parse(e: Record<string, unknown>): OutboxEntry {
    const corrupt = (detail: string): CorruptEntityError => new CorruptEntityError(this.table.name, PARTITION, String(e['rowKey'] ?? '?'), detail);
    const json = fromChunkProperties(e, 'b', e['chunks']);
    const status = statusSchema.safeParse(e['status']);
    if (json === null || !status.success || typeof e['id'] !== 'string' || typeof e['createdAt'] !== 'string') throw corrupt('missing or mistyped outbox fields');
    const body = JSON.parse(json) as Pick<OutboxEntry, 'ticket' | 'text' | 'incident'>;
    const done = typeof e['done'] === 'string' ? (JSON.parse(e['done']) as string[]) : [];
    return {
      id: e['id'],
      kind: e['kind'] === 'incident' ? 'incident' : 'ticket-note',
      createdAt: e['createdAt'],
      ...(body.ticket ? { ticket: body.ticket } : {}),
      ...(body.text !== undefined ? { text: body.text } : {}),
      ...(body.incident ? { incident: body.incident } : {}),
      status: status.data,
      attempts: Number(e['attempts'] ?? 0),
      nextAttemptAt: Number(e['nextAttemptAt'] ?? 0),
      ...(typeof e['lastError'] === 'string' ? { lastError: e['lastError'] } : {}),
      done,
    };
  }

  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    if (limit <= 0) return [];
    const client = await this.table.ready();
    const out: OutboxEntry[] = [];
    // nextAttemptAt is compared here rather than in the filter: an untyped JSON number is Int32 to the service, and
    // epoch milliseconds are not.
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and status eq ${'pending'}` } })) {
      const entry = this.parse(e);
      if (entry.nextAttemptAt <= now) out.push(entry);
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
  }

  async lease(id: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
    return leasePendingRow(await this.table.ready(), PARTITION, encodeKey(id), owner, nowMs, untilMs);
  }


  async update(id: string, patch: OutboxPatch): Promise<void> {
    const client = await this.table.ready();
    const entity = {
      partitionKey: PARTITION,
      rowKey: encodeKey(id),
      status: patch.status,
      attempts: patch.attempts,
      // A string: epoch ms overflow the Int32 an untyped JSON number is stored as.
      nextAttemptAt: String(patch.nextAttemptAt),
      leaseUntil: 0,
      ...(patch.lastError === undefined ? {} : { lastError: truncateText(patch.lastError, ERROR_MAX_CHARS) }),
      ...(patch.done === undefined ? {} : { done: JSON.stringify(patch.done) }),
    };
    try {
      await client.updateEntity(entity, 'Merge');
    } catch (err) {
      if (statusOf(err) === 404) throw new Error(`outbox: no entry "${id}"`);
      throw err;
    }
  }

  async get(id: string): Promise<OutboxEntry | null> {
    const client = await this.table.ready();
    try {
      return this.parse(await client.getEntity<Record<string, unknown>>(PARTITION, encodeKey(id)));
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async backlog(): Promise<{ pending: number; failed: number; oldest: string | null; lastError: string | null }> {
    const client = await this.table.ready();
    let pending = 0;
    let failed = 0;
    let oldest: string | null = null;
    let lastError: string | null = null;
    let lastErrorAt = -1;
    const filter = odata`PartitionKey eq ${PARTITION} and status ne ${'sent'}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['status', 'createdAt', 'lastError', 'nextAttemptAt'] } })) {
      if (e['status'] === 'failed') failed++;
      else pending++;
      const created = typeof e['createdAt'] === 'string' ? e['createdAt'] : null;
      if (e['status'] === 'pending' && created !== null && (oldest === null || created < oldest)) oldest = created;
      const at = Number(e['nextAttemptAt'] ?? 0);
      if (typeof e['lastError'] === 'string' && at > lastErrorAt) {
        lastError = e['lastError'];
        lastErrorAt = at;
      }
    }
    return { pending, failed, oldest, lastError };
  }
}
