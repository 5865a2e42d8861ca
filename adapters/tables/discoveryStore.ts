// DiscoveryStore over Table Storage: one record for the whole deployment, shared by every instance (Function App and
// standalone hosts alike). The record can outgrow one entity (the facts of hundreds of servers), so it is two parts:
// - the head entity (RowKey `head`): the small part (seq, per-subscription read times, last run, last failure) as
//   chunked JSON, and which body generation holds the large part. Its ETag is the record's version: every write is
//   a compare-and-set of the head, and polling instances read only it.
// - body rows (RowKey `body-<generation>-<n>`): the facts and the overlay as chunked JSON over as many entities as it
//   takes. A generation is written before the head names it and never changed afterwards; a write whose body equals
//   the one the head names (a failed run, which changes only the head) keeps that generation.
// After a successful write the generation the head named before is deleted. A reader that raced the delete finds a
// body row missing and reads the head again. A writer that dies between its body and its head leaves an orphan
// generation no head names (harmless; never read).
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { DiscoveryRecord, DiscoverySave, DiscoveryStore, StoredDiscovery } from '../../app/drift/ports.js';
import { asciiJson, CHUNK_CHARS, entityBytes, fitsInEntity, fromChunkProperties, MAX_ENTITY_BYTES, splitText, toChunkProperties } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, EntityTooLargeError, statusOf } from './errors.js';
import { mapReplacer, parseBody, parseHead, splitRecord, type StoredBody } from './discoverySchema.js';
import { upsertAll, type UpsertEntity } from './transactions.js';

export const DISCOVERY_TABLE = 'discovery';
const PK = 'discovery';
const HEAD = 'head';
const LAYOUT = 1;
/** Chunk properties per body row: 15 × 60 KB of UTF-16 stays under the 1 MiB entity limit with room to spare. */
const CHUNKS_PER_ROW = 15;
/** Times a load re-reads the head when a body row it names has just been deleted by a newer write. */
const LOAD_ATTEMPTS = 3;

const bodyRow = (generation: string, n: number): string => `body-${generation}-${String(n).padStart(4, '0')}`;

type Entity = Record<string, unknown> & { etag: string };

export class TableDiscoveryStore implements DiscoveryStore {
  private readonly table: LazyTable;
  /** The body last read or written, by generation: a head-only change (a failed run) costs no body read. */
  private cached: { generation: string; json: string; body: StoredBody } | null = null;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? DISCOVERY_TABLE);
  }

  private corrupt(row: string, detail: string): CorruptEntityError {
    return new CorruptEntityError(this.table.name, PK, row, detail);
  }

  private async head(client: TableClient, select?: string[]): Promise<Entity | null> {
    try {
      return await client.getEntity<Record<string, unknown>>(PK, HEAD, select ? { queryOptions: { select } } : {});
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async version(): Promise<string | null> {
    const client = await this.table.ready();
    return (await this.head(client, ['generation']))?.etag ?? null;
  }

  async load(): Promise<StoredDiscovery | null> {
    const client = await this.table.ready();
    for (let attempt = 1; ; attempt++) {
      const head = await this.head(client);
      if (head === null) return null;
      if (head['v'] !== LAYOUT) throw this.corrupt(HEAD, `unknown layout v=${String(head['v'])}`);
      const headJson = fromChunkProperties(head, 'h', head['chunks']);
      if (headJson === null) throw this.corrupt(HEAD, 'missing or malformed chunks');
      const parsedHead = parseHead(this.json(HEAD, headJson));
      if (!parsedHead.ok) throw this.corrupt(HEAD, `fails its schema: ${parsedHead.error}`);
      const generation = head['generation'];
      const rows = head['rows'];
      if (typeof generation !== 'string' || typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1) throw this.corrupt(HEAD, 'no body generation');
      const body = await this.body(client, generation, rows);
      if (body === null) {
        // A newer write deleted the generation this head named: read the new head.
        if (attempt < LOAD_ATTEMPTS) continue;
        throw this.corrupt(bodyRow(generation, 0), 'body rows missing after repeated reads');
      }
      return { record: { ...parsedHead.head, ...body }, version: head.etag };
    }
  }

  private json(row: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw this.corrupt(row, 'not valid JSON');
    }
  }

  /** The body of a generation, or null when one of its rows is gone. */
  private async body(client: TableClient, generation: string, rows: number): Promise<StoredBody | null> {
    // Copies out: a caller can neither change the cache nor rely on object identity.
    if (this.cached?.generation === generation) return structuredClone(this.cached.body);
    const parts = await Promise.all(
      Array.from({ length: rows }, async (_, n) => {
        try {
          const e = await client.getEntity<Record<string, unknown>>(PK, bodyRow(generation, n));
          const text = fromChunkProperties(e, 'b', e['chunks']);
          if (text === null) throw this.corrupt(bodyRow(generation, n), 'missing or malformed chunks');
          return text;
        } catch (err) {
          if (statusOf(err) === 404) return null;
          throw err;
        }
      }),
    );
    if (parts.some((p) => p === null)) return null;
    const json = parts.join('');
    const parsed = parseBody(this.json(bodyRow(generation, 0), json));
    if (!parsed.ok) throw this.corrupt(bodyRow(generation, 0), `fails its schema: ${parsed.error}`);
    this.cached = { generation, json, body: parsed.body };
    return structuredClone(parsed.body);
  }

  async save(record: DiscoveryRecord, expected: string | null): Promise<DiscoverySave> {
    const client = await this.table.ready();
    const current = await this.head(client, ['generation', 'rows']);
    if ((current?.etag ?? null) !== expected) return { ok: false, reason: 'conflict' };
    const previous = current ? { generation: String(current['generation']), rows: Number(current['rows']) } : null;

    const { head, body } = splitRecord(record);
    const bodyJson = asciiJson(body, mapReplacer);
    let generation: string;
    let rows: number;
    let wrote = false;
    if (previous && this.cached?.generation === previous.generation && this.cached.json === bodyJson) {
      ({ generation, rows } = previous);
    } else {
      generation = randomBytes(8).toString('hex');
      const entities = this.bodyEntities(generation, bodyJson);
      rows = entities.length;
      await upsertAll(client, entities);
      wrote = true;
    }

    const { properties, count } = toChunkProperties('h', asciiJson(head));
    const entity = { partitionKey: PK, rowKey: HEAD, v: LAYOUT, seq: record.seq, generation, rows, chunks: count, ...properties };
    const bytes = entityBytes(PK, HEAD, { v: LAYOUT, seq: record.seq, generation, rows, chunks: count, ...properties });
    if (!fitsInEntity(bytes)) throw new EntityTooLargeError(this.table.name, bytes, MAX_ENTITY_BYTES);
    let version: string;
    try {
      const res = expected === null ? await client.createEntity(entity) : await client.updateEntity(entity, 'Replace', { etag: expected });
      if (res.etag === undefined) throw new Error(`Table Storage returned no ETag for ${this.table.name}/${HEAD}`);
      version = res.etag;
    } catch (err) {
      const status = statusOf(err);
      if (status === 409 || status === 412 || (status === 404 && expected !== null)) {
        if (wrote) await this.deleteGeneration(client, generation, rows);
        return { ok: false, reason: 'conflict' };
      }
      throw err;
    }
    if (wrote) {
      this.cached = { generation, json: bodyJson, body: structuredClone(body) };
      if (previous) await this.deleteGeneration(client, previous.generation, previous.rows);
    }
    return { ok: true, version };
  }

  private bodyEntities(generation: string, json: string): UpsertEntity[] {
    const chunks = splitText(json, CHUNK_CHARS);
    const entities: UpsertEntity[] = [];
    for (let i = 0; i === 0 || i < chunks.length; i += CHUNKS_PER_ROW) {
      const mine = chunks.slice(i, i + CHUNKS_PER_ROW);
      const properties: Record<string, string | number> = { chunks: mine.length };
      mine.forEach((c, n) => (properties[`b${n}`] = c));
      entities.push({ partitionKey: PK, rowKey: bodyRow(generation, entities.length), ...properties });
    }
    return entities;
  }

  /** Best effort: a row left behind is never read (no head names its generation). */
  private async deleteGeneration(client: TableClient, generation: string, rows: number): Promise<void> {
    await Promise.all(Array.from({ length: rows }, (_, n) => client.deleteEntity(PK, bodyRow(generation, n)).catch(() => undefined)));
  }
}
