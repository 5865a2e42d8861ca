// The durable campaign ledger in Table Storage (DESIGN.md §2: rewrap campaigns are recorded here before a caller is
// told they are queued): one entity per campaign, its request and outcome as chunked JSON, its state a property the
// reconciler queries (`open` until the campaign is known to have ended).
import { odata } from '@azure/data-tables';
import type { CampaignLedger, CampaignRecord, CampaignRecordState } from '../../app/rewrap/rewrapJobs.js';
import { asciiJson, fromChunkProperties, toChunkProperties } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, statusOf } from './errors.js';
import { encodeKey } from './keys.js';

const ROW = 'campaign';
const STATES: ReadonlySet<string> = new Set<CampaignRecordState>(['open', 'completed', 'failed']);

export class TableCampaignLedger implements CampaignLedger {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? 'rewrapcampaigns');
  }

  private entity(record: CampaignRecord): Record<string, unknown> & { partitionKey: string; rowKey: string } {
    const { properties, count } = toChunkProperties('c', asciiJson(record));
    return { partitionKey: encodeKey(record.request.id), rowKey: ROW, campaign: record.request.id, state: record.state, chunks: count, ...properties };
  }

  async open(request: CampaignRecord['request'], nowIso: string): Promise<void> {
    const client = await this.table.ready();
    await client.upsertEntity(this.entity({ request, state: 'open', summary: null, error: null, updatedAt: nowIso }), 'Replace');
  }

  async close(id: string, outcome: Pick<CampaignRecord, 'summary' | 'error'> & { state: 'completed' | 'failed' }, nowIso: string): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    const client = await this.table.ready();
    await client.upsertEntity(this.entity({ ...current, ...outcome, updatedAt: nowIso }), 'Replace');
  }

  async get(id: string): Promise<CampaignRecord | null> {
    const client = await this.table.ready();
    try {
      return this.fromEntity(await client.getEntity<Record<string, unknown>>(encodeKey(id), ROW));
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async listOpen(): Promise<CampaignRecord[]> {
    const client = await this.table.ready();
    const out: CampaignRecord[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`state eq ${'open'}` } })) out.push(this.fromEntity(e));
    return out;
  }

  private fromEntity(e: Record<string, unknown> & { partitionKey?: string; rowKey?: string }): CampaignRecord {
    const json = fromChunkProperties(e, 'c', e['chunks']);
    const record = json === null ? null : (JSON.parse(json) as CampaignRecord);
    if (!record || !STATES.has(String(e['state'])) || record.request?.id !== e['campaign']) {
      throw new CorruptEntityError(this.table.name, e.partitionKey ?? '?', e.rowKey ?? '?', 'missing or mistyped campaign fields');
    }
    return record;
  }
}
