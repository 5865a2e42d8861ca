// In-memory DekStore for app/ tests and the bench's bookkeeping: the same semantics as the Table adapter (it
// passes the same contract suite). Rows are copied in and out; ETags are increasing counters; pages follow id order
// and resume after the last id returned, so rows changed behind the cursor are not seen twice.
import { canonicalKid } from '../../domain/rewrap/kid.js';
import { matchesFilter, normaliseFilter, normaliseNewDek, normaliseRewrapped } from './dekRules.js';
import type { DekFilter, DekPage, DekRecord, DekStore, NewDek, Rewrapped } from './ports.js';

const DEFAULT_PAGE = 1000;
/** Table Storage's largest page. */
const MAX_PAGE = 1000;

export class MemoryDekStore implements DekStore {
  private readonly rows = new Map<string, DekRecord>();
  private counter = 0;

  private nextEtag(): string {
    this.counter += 1;
    return `W/"mem-${this.counter}"`;
  }

  async insert(dek: NewDek): Promise<'ok' | 'exists'> {
    const row = normaliseNewDek(dek);
    if (this.rows.has(row.id)) return 'exists';
    this.rows.set(row.id, { ...row, etag: this.nextEtag() });
    return 'ok';
  }

  async get(id: string): Promise<DekRecord | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  async list(filter: DekFilter, pageToken?: string, pageSize = DEFAULT_PAGE): Promise<DekPage> {
    const f = normaliseFilter(filter);
    const size = Math.max(1, Math.min(MAX_PAGE, Math.floor(pageSize)));
    const after = pageToken === undefined ? null : Buffer.from(pageToken, 'base64url').toString('utf8');
    const ids = [...this.rows.keys()].filter((id) => after === null || id > after).sort();
    const items: DekRecord[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row || !matchesFilter(row.kid, f)) continue;
      items.push({ ...row });
      // A full page says "maybe more", as Table Storage does: the next page may then be empty.
      if (items.length >= size) return { items, next: Buffer.from(id, 'utf8').toString('base64url') };
    }
    return { items, next: null };
  }

  async compareAndSet(id: string, expectedKid: string, next: Rewrapped, etag: string): Promise<'ok' | 'conflict'> {
    const n = normaliseRewrapped(next);
    const row = this.rows.get(id);
    if (!row || row.etag !== etag || row.kid !== canonicalKid(expectedKid)) return 'conflict';
    this.rows.set(id, { ...row, kid: n.kid, alg: n.alg, wrapped: n.wrapped, etag: this.nextEtag() });
    return 'ok';
  }

  async countByKid(filter: DekFilter = {}): Promise<Map<string, number>> {
    const f = normaliseFilter(filter);
    const counts = new Map<string, number>();
    for (const row of this.rows.values()) if (matchesFilter(row.kid, f)) counts.set(row.kid, (counts.get(row.kid) ?? 0) + 1);
    return counts;
  }

  /** Test helper: the number of stored DEKs. */
  get size(): number {
    return this.rows.size;
  }
}
