// In-memory StateStore for app/ tests: the same compare-and-set semantics as the Table adapter (it passes the
// same contract suite). ETags are increasing counters; snapshots are copied in and out like a real store.
import type { SaveResult, StateStore, StoredSnapshot } from '../ports.js';
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

  /** Test helper: the number of stored snapshots. */
  get size(): number {
    return this.rows.size;
  }
}
