// In-memory AlertLedger for app/ tests: claim-once, merge updates, pending oldest first, per-channel delivery kept,
// exactly like the Table adapter (both pass test/contracts/alertLedger).
import { isTraceparent } from '../telemetry.js';
import type { AlertHead, AlertLedger, AlertPatch, AlertRecord, ChannelDelivery } from '../ports.js';
import { truncate } from './truncate.js';
import { oldestFirst, pendingSelection } from '../alertOrder.js';

/** Same bounds as adapters/tables/alertLedger.ts. */
export const LAST_ERROR_MAX_CHARS = 4_000;
export const CHANNEL_ERROR_MAX_CHARS = 1_000;
const DEFAULT_PENDING_LIMIT = 100;

function boundChannels(channels: Readonly<Record<string, ChannelDelivery>>): Record<string, ChannelDelivery> {
  return Object.fromEntries(
    Object.entries(channels).map(([name, { lastError, ...rest }]) => [name, { ...rest, ...(lastError === undefined ? {} : { lastError: truncate(lastError, CHANNEL_ERROR_MAX_CHARS) }) }]),
  );
}

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
    const { lastError, channels, traceparent, ...rest } = structuredClone(record);
    this.records.set(record.key, {
      ...rest,
      channels: boundChannels(channels),
      ...(lastError === undefined ? {} : { lastError: truncate(lastError, LAST_ERROR_MAX_CHARS) }),
      // As the table ledger: only a well-formed traceparent is kept.
      ...(isTraceparent(traceparent) ? { traceparent } : {}),
    });
    return true;
  }

  async update(key: string, patch: AlertPatch): Promise<void> {
    const current = this.records.get(key);
    if (current === undefined) throw new Error(`alert ledger: no claimed alert with key "${key}" to update`);
    this.records.set(key, {
      ...current,
      status: patch.status,
      attempts: patch.attempts,
      // Merge: an absent lastError keeps the previous one.
      ...(patch.lastError === undefined ? {} : { lastError: truncate(patch.lastError, LAST_ERROR_MAX_CHARS) }),
      ...(patch.channels === undefined ? {} : { channels: boundChannels(structuredClone(patch.channels)) }),
    });
  }

  async pending(limit = DEFAULT_PENDING_LIMIT, channels?: readonly string[]): Promise<AlertRecord[]> {
    return pendingSelection([...this.records.values()].filter((r) => r.status === 'pending'), limit, channels).map((r) => structuredClone(r));
  }

  async undelivered(failedSince: string): Promise<AlertHead[]> {
    return [...this.records.values()]
      .filter((r) => r.status === 'pending' || (r.status === 'failed' && r.createdAt >= failedSince))
      .sort(oldestFirst)
      .map(({ key, createdAt, status, attempts, channels }) => structuredClone({ key, createdAt, status, attempts, channels }));
  }

  async get(key: string): Promise<AlertRecord | null> {
    const record = this.records.get(key);
    return record === undefined ? null : structuredClone(record);
  }
}
