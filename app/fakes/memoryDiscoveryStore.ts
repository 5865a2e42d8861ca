// In-memory DiscoveryStore for app/ tests and for hosts without Table Storage: the same compare-and-set semantics as
// the Table adapter (both pass test/contracts/discoveryStoreContract.ts). Versions are increasing counters; records
// are copied in and out (structuredClone keeps the identity Maps of the facts), like a real store.
import type { DiscoveryRecord, DiscoverySave, DiscoveryStore, StoredDiscovery } from '../drift/ports.js';

export class MemoryDiscoveryStore implements DiscoveryStore {
  private row: { record: DiscoveryRecord; version: string } | null = null;
  private counter = 0;
  /** Test helper: loads served (a poll that finds the version unchanged must not load). */
  loads = 0;

  /** Test helper: the table deleted and recreated — nothing stored; versions never repeat, as a new table's ETags. */
  drop(): void {
    this.row = null;
  }

  async version(): Promise<string | null> {
    return this.row?.version ?? null;
  }

  async load(): Promise<StoredDiscovery | null> {
    this.loads++;
    return this.row === null ? null : { record: structuredClone(this.row.record), version: this.row.version };
  }

  async save(record: DiscoveryRecord, expected: string | null): Promise<DiscoverySave> {
    if (expected === null ? this.row !== null : this.row?.version !== expected) return { ok: false, reason: 'conflict' };
    this.counter += 1;
    const version = `W/"mem-${this.counter}"`;
    this.row = { record: structuredClone(record), version };
    return { ok: true, version };
  }
}
