// In-memory StateStore for app/ tests: the same compare-and-set semantics as the Table adapter (it passes the
// same contract suite). ETags are increasing counters; snapshots are copied in and out like a real store.
import type { SaveResult, StateEntry, StatePage, StateRange, StateStore, StoredSnapshot } from '../ports.js';
import type { ProtectorSnapshot } from '../../domain/health/snapshot.js';

export class MemoryStateStore implements StateStore {
  private readonly rows = new Map<string, { json: string; etag: string }>();
  private counter = 0;

  async load(protectorId: string): Promise<StoredSnapshot | null> {
    const row = this.rows.get(protectorId);
    // Parsed from stored JSON: callers can neither mutate the store nor rely on object identity.
    return row === undefined ? null : { snapshot: JSON.parse(row.json) as ProtectorSnapshot, etag: row.etag };
  }

  async save(protectorId: string, snapshot: ProtectorSnapshot, etag: string | null): Promise<SaveResult> {
    const current = this.rows.get(protectorId);
    if (etag === null ? current !== undefined : current?.etag !== etag) return { ok: false, reason: 'conflict' };
    this.counter += 1;
    const next = `W/"mem-${this.counter}"`;
    this.rows.set(protectorId, { json: JSON.stringify(snapshot), etag: next });
    return { ok: true, etag: next };
  }

  /** Positions are the protector ids themselves, in code-unit order (the Table adapter's are its PartitionKeys). */
  async list(range: StateRange): Promise<StatePage> {
    if (!Number.isInteger(range.limit) || range.limit < 1) throw new RangeError('limit must be a positive integer');
    const after = range.after ?? null;
    const until = range.until ?? null;
    const ids = [...this.rows.keys()].filter((id) => (after === null || id > after) && (until === null || id <= until)).sort();
    const entries = ids.slice(0, range.limit).map((id): StateEntry => {
      const row = this.rows.get(id) as { json: string; etag: string };
      return { ok: true, position: id, protectorId: id, stored: { snapshot: JSON.parse(row.json) as ProtectorSnapshot, etag: row.etag } };
    });
    return { entries, more: ids.length > range.limit };
  }

  /** Test helper: the number of stored snapshots. */
  get size(): number {
    return this.rows.size;
  }
}
