// In-memory IncidentTicketIndex for app/ tests (the Table adapter passes the same contract suite).
import type { IncidentTicketIndex, IncidentTicketRecord } from '../ports.js';

export class MemoryIncidentTicketIndex implements IncidentTicketIndex {
  private readonly tickets = new Map<string, IncidentTicketRecord>();
  private readonly episodes = new Map<string, string>();

  async ticketOf(episode: string): Promise<IncidentTicketRecord | null> {
    const correlation = this.episodes.get(episode);
    const record = correlation === undefined ? undefined : this.tickets.get(correlation);
    return record ? structuredClone(record) : null;
  }

  async track(record: IncidentTicketRecord): Promise<void> {
    const current = this.tickets.get(record.correlationId);
    const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();
    const merged: IncidentTicketRecord = current
      ? { ...current, episodes: union(current.episodes, record.episodes), resolved: union(current.resolved, record.resolved) }
      : { ...record, episodes: union([], record.episodes), resolved: union([], record.resolved) };
    this.tickets.set(record.correlationId, structuredClone(merged));
    for (const e of record.episodes) this.episodes.set(e, record.correlationId);
  }
}
