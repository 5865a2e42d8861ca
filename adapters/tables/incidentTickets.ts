// Which ITSM ticket tracks each incident episode (Table Storage): a row per ticket (by the correlation id of the alert
// group that opened it: the ticket, its episodes, those resolved since) and a row per episode naming its ticket.
// Written only by the outbox dispatcher, which leases each entry, so read-merge-write is not raced in practice; the
// merge is a set union, so a replay rewrites the same rows.
import type { IncidentTicketIndex, IncidentTicketRecord } from '../../app/itsm/ports.js';
import type { TicketRef } from '../../domain/itsm/request.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { CorruptEntityError, statusOf } from './errors.js';
import { encodeKey } from './keys.js';

export const INCIDENT_TICKET_TABLE = 'itsmtickets';
const TICKET = 'ticket';
const EPISODE = 'episode';

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();

export class TableIncidentTicketIndex implements IncidentTicketIndex {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? INCIDENT_TICKET_TABLE);
  }

  private async record(correlationId: string): Promise<IncidentTicketRecord | null> {
    const client = await this.table.ready();
    let e: Record<string, unknown>;
    try {
      e = await client.getEntity<Record<string, unknown>>(TICKET, encodeKey(correlationId));
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
    try {
      return {
        correlationId,
        ticket: JSON.parse(String(e['ticket'])) as TicketRef,
        episodes: JSON.parse(String(e['episodes'])) as string[],
        resolved: JSON.parse(String(e['resolved'])) as string[],
      };
    } catch {
      throw new CorruptEntityError(this.table.name, TICKET, encodeKey(correlationId), 'ticket, episodes or resolved is not JSON');
    }
  }

  async ticketOf(episode: string): Promise<IncidentTicketRecord | null> {
    const client = await this.table.ready();
    let correlationId: unknown;
    try {
      correlationId = (await client.getEntity<Record<string, unknown>>(EPISODE, encodeKey(episode)))['correlationId'];
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
    return typeof correlationId === 'string' ? this.record(correlationId) : null;
  }

  async track(record: IncidentTicketRecord): Promise<void> {
    const client = await this.table.ready();
    const current = await this.record(record.correlationId);
    const episodes = union(current?.episodes ?? [], record.episodes);
    const resolved = union(current?.resolved ?? [], record.resolved);
    // The ticket row first: an episode row never names a ticket row that is not there.
    await client.upsertEntity(
      { partitionKey: TICKET, rowKey: encodeKey(record.correlationId), ticket: JSON.stringify(current?.ticket ?? record.ticket), episodes: JSON.stringify(episodes), resolved: JSON.stringify(resolved) },
      'Replace',
    );
    for (const episode of record.episodes) await client.upsertEntity({ partitionKey: EPISODE, rowKey: encodeKey(episode), correlationId: record.correlationId }, 'Replace');
  }
}
