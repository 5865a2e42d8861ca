// In-memory AlertLedger for app/ tests: claim-once, merge updates, pending oldest first, exactly like the Table
// adapter (both pass test/contracts/alertLedger).
import type { AlertLedger, AlertRecord, AlertStatus } from '../ports.js';
import { truncate } from './truncate.js';
import { oldestFirst } from '../alertOrder.js';

/** Same bound as adapters/tables/alertLedger.ts. */
export const LAST_ERROR_MAX_CHARS = 4_000;
const DEFAULT_PENDING_LIMIT = 100;

export class MemoryAlertLedger implements AlertLedger {
  private readonly records = new Map<string, AlertRecord>();
  private readonly leases = new Map<string, { owner: string; until: number }>();

  async lease(key: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
    const record = this.records.get(key);
    const held = this.leases.get(key);
    if (record?.status !== 'pending' || (held && held.until > nowMs && held.owner !== owner)) return false;
    this.leases.set(key, { owner, until: untilMs });
    return true;
  }

  async claim(record: AlertRecord): Promise<boolean> {
    if (this.records.has(record.key)) return false;
    const { lastError, ...rest } = structuredClone(record);
    this.records.set(record.key, { ...rest, ...(lastError === undefined ? {} : { lastError: truncate(lastError, LAST_ERROR_MAX_CHARS) }) });
    return true;
  }

  async update(key: string, patch: { status: AlertStatus; attempts: number; lastError?: string }): Promise<void> {
    const current = this.records.get(key);
    if (current === undefined) throw new Error(`alert ledger: no claimed alert with key "${key}" to update`);
    this.records.set(key, {
      ...current,
      status: patch.status,
      attempts: patch.attempts,
      // Merge: an absent lastError keeps the previous one.
      ...(patch.lastError === undefined ? {} : { lastError: truncate(patch.lastError, LAST_ERROR_MAX_CHARS) }),
    });
  }

  async pending(limit = DEFAULT_PENDING_LIMIT): Promise<AlertRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.status === 'pending')
      .sort(oldestFirst)
      .slice(0, Math.max(0, limit))
      .map((r) => structuredClone(r));
  }

  async get(key: string): Promise<AlertRecord | null> {
    const record = this.records.get(key);
    return record === undefined ? null : structuredClone(record);
  }
}
