// In-memory ItsmRequestStore for app/ tests: the Table adapter's semantics (both pass test/contracts/itsmStores):
// records copied in and out, an ETag per write, create only when absent, compare-and-set updates.
import { isTerminalState, type ItsmRequest } from '../../../domain/itsm/request.js';
import { ticketKey, type ItsmRequestStore, type StoreWrite } from '../ports.js';

export class MemoryItsmRequestStore implements ItsmRequestStore {
  private readonly rows = new Map<string, { json: string; etag: string }>();
  private n = 0;

  private etag(): string {
    return `W/"mem-${++this.n}"`;
  }

  async create(request: ItsmRequest): Promise<StoreWrite> {
    if (this.rows.has(request.id)) return { ok: false };
    const etag = this.etag();
    this.rows.set(request.id, { json: JSON.stringify(request), etag });
    return { ok: true, etag };
  }

  async get(id: string): Promise<{ request: ItsmRequest; etag: string } | null> {
    const row = this.rows.get(id);
    return row ? { request: JSON.parse(row.json) as ItsmRequest, etag: row.etag } : null;
  }

  async update(request: ItsmRequest, etag: string): Promise<StoreWrite> {
    const row = this.rows.get(request.id);
    if (!row || row.etag !== etag) return { ok: false };
    const next = this.etag();
    this.rows.set(request.id, { json: JSON.stringify(request), etag: next });
    return { ok: true, etag: next };
  }

  private all(): ItsmRequest[] {
    return [...this.rows.values()].map((r) => JSON.parse(r.json) as ItsmRequest).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async listOpen(): Promise<ItsmRequest[]> {
    return this.all().filter((r) => !isTerminalState(r.state));
  }

  async listByTicket(key: string): Promise<ItsmRequest[]> {
    return this.all().filter((r) => ticketKey(r.ticket) === key);
  }
}
