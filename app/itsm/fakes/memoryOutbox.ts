// In-memory ItsmOutbox for app/ tests: insert-once, due entries oldest first, leases, merge updates — the Table
// adapter's semantics (both pass test/contracts/itsmStores).
import type { ItsmOutbox, OutboxEntry, OutboxPatch } from '../ports.js';

export class MemoryItsmOutbox implements ItsmOutbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly leases = new Map<string, { owner: string; until: number }>();

  async put(entry: Omit<OutboxEntry, 'status' | 'attempts' | 'nextAttemptAt'> & { nextAttemptAt?: number }): Promise<boolean> {
    if (this.entries.has(entry.id)) return false;
    this.entries.set(entry.id, structuredClone({ ...entry, status: 'pending', attempts: 0, nextAttemptAt: entry.nextAttemptAt ?? 0 }));
    return true;
  }

  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    return [...this.entries.values()]
      .filter((e) => e.status === 'pending' && e.nextAttemptAt <= now)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, Math.max(0, limit))
      .map((e) => structuredClone(e));
  }

  async lease(id: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
    const entry = this.entries.get(id);
    const held = this.leases.get(id);
    if (entry?.status !== 'pending' || (held && held.until > nowMs && held.owner !== owner)) return false;
    this.leases.set(id, { owner, until: untilMs });
    return true;
  }

  async update(id: string, patch: OutboxPatch): Promise<void> {
    const current = this.entries.get(id);
    if (!current) throw new Error(`outbox: no entry "${id}"`);
    this.entries.set(id, structuredClone({ ...current, ...patch }));
    this.leases.delete(id);
  }

  async get(id: string): Promise<OutboxEntry | null> {
    const e = this.entries.get(id);
    return e ? structuredClone(e) : null;
  }

  async backlog(): Promise<{ pending: number; failed: number; oldest: string | null; lastError: string | null }> {
    const all = [...this.entries.values()];
    const pending = all.filter((e) => e.status === 'pending').sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const errored = all.filter((e) => e.status !== 'sent' && e.lastError !== undefined).sort((a, b) => b.nextAttemptAt - a.nextAttemptAt);
    return { pending: pending.length, failed: all.filter((e) => e.status === 'failed').length, oldest: pending[0]?.createdAt ?? null, lastError: errored[0]?.lastError ?? null };
  }
}
