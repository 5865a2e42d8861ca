// Ports of the service's discovery (issue 8): gathering facts from Azure (app/discovery's discover(), through the ARM
// SDK adapters) and the one stored record of the last discovery every instance shares — the facts, the overlay the
// estate in use applies, the last run and the last failure.
import type { EstateOverlay } from '../../domain/discovery/drift.js';
import type { DiscoveryFacts } from '../../domain/discovery/facts.js';
import type { DiscoveryTrigger } from '../../domain/discovery/triggers.js';

/** Reads Azure for the given subscriptions (all that discovery can see of them, gaps named in the facts). */
export interface DiscoveryPort {
  discover(request: { readonly subscriptions: readonly string[] }): Promise<{ readonly facts: DiscoveryFacts }>;
}

export type DiscoveryReason = 'schedule' | 'activity-log' | 'start-up';

export interface DiscoveryRun {
  readonly reason: DiscoveryReason;
  /** `full`: every watched subscription (the schedule); `targeted`: the subscriptions of the groups events touched. */
  readonly kind: 'full' | 'targeted';
  readonly subscriptions: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The operations that called for a targeted run (at most MAX_RUN_TRIGGERS of them) and how many there were. */
  readonly triggers: readonly DiscoveryTrigger[];
  readonly triggerCount: number;
}

export const MAX_RUN_TRIGGERS = 20;

export interface DiscoveryFailure {
  readonly at: string;
  /** Log-safe: the error's message, never a token or a body. */
  readonly error: string;
  /** Failed runs since the last that succeeded. */
  readonly consecutive: number;
  readonly kind: DiscoveryRun['kind'];
  readonly subscriptions: readonly string[];
}

export interface DiscoveryRecord {
  /** Increases by one with every write: an instance never goes back to an older record it may read late. */
  readonly seq: number;
  /**
   * Names one history of records: drawn when a store holds no record (new, or emptied and recreated) and carried by
   * every later write. `seq` orders records of one epoch only — a recreated store starts again at 1, and an instance
   * that held seq 40 of the old epoch must still take the new history's records ('' for records written before).
   */
  readonly epoch: string;
  /** The facts of every subscription read so far, each from its latest read (null until a run succeeds). */
  readonly facts: DiscoveryFacts | null;
  /** Subscription → when its latest read began (ISO): a change before it is in the facts; a later read wins. */
  readonly gatheredAt: Readonly<Record<string, string>>;
  /** Discovered roles and principal ids the estate in use applies on top of the file (drift.ts), or none yet. */
  readonly overlay: EstateOverlay | null;
  readonly lastRun: DiscoveryRun | null;
  /** The last failed run, when it is newer than the last run that succeeded. */
  readonly failure: DiscoveryFailure | null;
}

export interface StoredDiscovery {
  readonly record: DiscoveryRecord;
  /** Opaque version for compare-and-set; also what instances poll to see a new record. */
  readonly version: string;
}

export type DiscoverySave = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: 'conflict' };

/** The shared discovery record, replaced with compare-and-set: of two writers exactly one wins, the other re-reads. */
export interface DiscoveryStore {
  /** The stored version only (a small read, what every instance polls), or null when none is stored. */
  version(): Promise<string | null>;
  load(): Promise<StoredDiscovery | null>;
  /** Replaces the record when the stored version is still `expected` (null: only when none is stored). */
  save(record: DiscoveryRecord, expected: string | null): Promise<DiscoverySave>;
}
