// ITSM rotation requests in Table Storage (I6: a request is durable before it is acknowledged). One entity per
// request, keyed by its id (derived from profile and idempotency key, so the insert is the dedupe); the JSON in
// chunks beside the columns the listings filter on (state, ticketKey). Advanced with ETag compare-and-set.
import { odata } from '@azure/data-tables';
import type { ItsmRequestStore, StoreWrite } from '../../app/itsm/ports.js';
import { ticketKey } from '../../app/itsm/ports.js';
import { isTerminalState, type ItsmRequest, type RequestState } from '../../domain/itsm/request.js';
import { asciiJson, fromChunkProperties, toChunkProperties } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, statusOf } from './errors.js';

export const ITSM_REQUEST_TABLE = 'itsmrequests';
const ROW = 'request';
const OPEN_STATES: readonly RequestState[] = ['pending-approval', 'approved', 'running'];

export class TableItsmRequestStore implements ItsmRequestStore {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? ITSM_REQUEST_TABLE);
  }

  private entity(r: ItsmRequest): Record<string, unknown> & { partitionKey: string; rowKey: string } {
    const { properties, count } = toChunkProperties('j', asciiJson(r));
    return { partitionKey: r.id, rowKey: ROW, state: r.state, ticketKey: ticketKey(r.ticket), profile: r.profile, receivedAt: r.receivedAt, chunks: count, ...properties };
  }

  private parse(e: Record<string, unknown>): ItsmRequest {
    const json = fromChunkProperties(e, 'j', e['chunks']);
    if (json === null) throw new CorruptEntityError(this.table.name, String(e['partitionKey']), ROW, 'missing or malformed request chunks');
    return JSON.parse(json) as ItsmRequest;
  }

  async create(request: ItsmRequest): Promise<StoreWrite> {
    const client = await this.table.ready();
    try {
      const res = await client.createEntity(this.entity(request));
      return res.etag ? { ok: true, etag: res.etag } : { ok: false };
    } catch (err) {
      if (statusOf(err) === 409) return { ok: false };
      throw err;
    }
  }

  async get(id: string): Promise<{ request: ItsmRequest; etag: string } | null> {
    const client = await this.table.ready();
    try {
      const e = await client.getEntity<Record<string, unknown>>(id, ROW);
      return { request: this.parse(e), etag: e.etag };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async update(request: ItsmRequest, etag: string): Promise<StoreWrite> {
    const client = await this.table.ready();
    try {
      const res = await client.updateEntity(this.entity(request), 'Replace', { etag });
      return res.etag ? { ok: true, etag: res.etag } : { ok: false };
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return { ok: false };
      throw err;
    }
  }

  private async list(filter: string): Promise<ItsmRequest[]> {
    const client = await this.table.ready();
    const out: ItsmRequest[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(this.parse(e));
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async listOpen(): Promise<ItsmRequest[]> {
    const [a, b, c] = OPEN_STATES;
    const open = await this.list(odata`RowKey eq ${ROW} and (state eq ${a} or state eq ${b} or state eq ${c})`);
    return open.filter((r) => !isTerminalState(r.state));
  }

  async listByTicket(key: string): Promise<ItsmRequest[]> {
    return this.list(odata`RowKey eq ${ROW} and ticketKey eq ${key}`);
  }
}
