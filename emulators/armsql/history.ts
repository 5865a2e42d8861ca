// The ordered record of every write (accepted or refused), so tests can assert "secondary before primary", and the
// one-shot error injection (`failNext`) that stands for failures the emulator cannot produce by itself
// (403 AuthorizationFailed from RBAC, 429 from ARM throttling, 5xx).
import { ArmError } from '../arm/errors.js';
import type { ArmHistoryEntry, ArmWriteOperation, InjectedArmError } from './types.js';

export type HistoryDraft = Omit<ArmHistoryEntry, 'seq' | 'time' | 'outcome' | 'changed'>;

export class WriteHistory {
  private readonly entries: ArmHistoryEntry[] = [];
  private readonly injected: Array<{ server: string; operation: ArmWriteOperation | '*'; error: InjectedArmError }> = [];

  constructor(
    private readonly clock: () => number,
    private readonly onWrite: ((entry: ArmHistoryEntry) => void) | undefined,
  ) {}

  all(): readonly ArmHistoryEntry[] {
    return this.entries;
  }

  record(draft: HistoryDraft, outcome: ArmHistoryEntry['outcome'], changed: boolean): ArmHistoryEntry {
    const entry: ArmHistoryEntry = { seq: this.entries.length + 1, time: new Date(this.clock()).toISOString(), ...draft, outcome, changed };
    this.entries.push(entry);
    try {
      this.onWrite?.(entry);
    } catch {
      // An observer's failure must not fail the write it observes.
    }
    return entry;
  }

  /** `server`: the server's resource id (matched case-insensitively). */
  inject(server: string, operation: ArmWriteOperation | '*', error: InjectedArmError): void {
    this.injected.push({ server: server.toLowerCase(), operation, error });
  }

  /** The first injected error for this write, removed from the queue. */
  takeInjected(serverId: string, operation: ArmWriteOperation): ArmError | null {
    const i = this.injected.findIndex((x) => x.server === serverId.toLowerCase() && (x.operation === '*' || x.operation === operation));
    if (i < 0) return null;
    const error = this.injected.splice(i, 1)[0]?.error;
    if (!error) return null;
    const headers: Record<string, string> = error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
    return new ArmError(error.status, error.code, error.message, headers);
  }
}
