// When this instance re-discovers (issue 8). Ingestion hands over the triggers of each batch (notify: synchronous, no
// I/O — ingestion never waits on ARM); they are collected for `debounceMs` after the first, then one targeted run reads
// the subscriptions they concern (rediscoveryScope). Scheduled full runs and targeted runs of this instance run one at
// a time, in order; triggers arriving during a run wait for the next.
// Only watched subscriptions are read: an operation elsewhere (an activity log exported from a subscription discovery
// does not watch) reads nothing. A trigger already reflected — its subscription was read (by any instance) after the
// operation succeeded — is dropped: a redelivered batch, or reconcile re-ingesting the last hour of activity records, costs no ARM call.
// (Operation times are ARM's clock, read times this host's: a host clock ahead of ARM's by more than the minutes an
// activity record takes to arrive could make a needed read look done; the scheduled full run reads it regardless.)
// Bounds: pending triggers are kept one per resource (the latest), so memory is bounded by the resources changed, and
// a trigger is acted on within `debounceMs` plus the runs queued before it. A process that dies with triggers pending
// loses them; the next scheduled full run reads everything again.
import { rediscoveryScope, type DiscoveryTrigger } from '../../domain/discovery/triggers.js';
import type { Estate } from '../../domain/estate/model.js';
import type { Logger } from '../ports.js';
import type { DiscoveryRecord } from './ports.js';
import type { RediscoverRequest, RediscoverResult } from './rediscover.js';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SchedulerDeps {
  readonly run: (request: RediscoverRequest) => Promise<RediscoverResult>;
  /** The estate file (group membership for the scope) and the record applied now (facts, per-subscription read times). */
  readonly file: Estate;
  readonly record: () => DiscoveryRecord | null;
  /** Subscriptions discovery watches: a full run reads them all, a targeted run only some of them. */
  readonly watched: () => readonly string[];
  readonly debounceMs: number;
  readonly log: Logger;
  readonly timers?: Timers;
}

export class RediscoveryScheduler {
  private readonly pending = new Map<string, DiscoveryTrigger>();
  private timer: unknown = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private readonly timers: Timers;

  constructor(private readonly deps: SchedulerDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  /** Takes a batch's triggers; never throws, never waits. */
  notify(triggers: readonly DiscoveryTrigger[]): void {
    if (this.closed || triggers.length === 0) return;
    for (const t of triggers) {
      const seen = this.pending.get(t.resourceId);
      if (!seen || seen.time < t.time) this.pending.set(t.resourceId, t);
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== null || this.pending.size === 0 || this.closed) return;
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.enqueue(() => this.runTargeted());
    }, this.deps.debounceMs);
  }

  /** A full run of every watched subscription (the schedule), after whatever this instance is running. */
  runFull(reason: RediscoverRequest['reason']): Promise<RediscoverResult> {
    return this.enqueue(() => this.deps.run({ reason, kind: 'full', subscriptions: this.deps.watched() }));
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    this.queued++;
    const next = this.chain.then(work).finally(() => {
      this.queued--;
    });
    // The chain goes on after a failure; the caller still sees it.
    this.chain = next.catch((err: unknown) => this.deps.log.error({ error: err instanceof Error ? err.message : String(err) }, 'discovery run failed'));
    return next;
  }

  private async runTargeted(): Promise<RediscoverResult | null> {
    const triggers = [...this.pending.values()].sort((a, b) => a.time - b.time);
    this.pending.clear();
    try {
      const record = this.deps.record();
      const scope = rediscoveryScope(triggers, this.deps.file, record?.facts ?? null);
      const watched = new Set(this.deps.watched());
      // Unwatched, or read after the change already (by this instance or another): nothing to read there.
      const due = [...scope].filter(([sub, time]) => {
        const read = record?.gatheredAt[sub];
        return watched.has(sub) && (read === undefined || Date.parse(read) <= time);
      });
      if (due.length === 0) {
        this.deps.log.info({ triggers: triggers.length }, 'topology changes already discovered; no re-discovery needed');
        return null;
      }
      const subscriptions = due.map(([sub]) => sub).sort();
      return await this.deps.run({ reason: 'activity-log', kind: 'targeted', subscriptions, triggers });
    } finally {
      this.arm();
    }
  }

  /** Resolves once nothing is pending, armed or running (tests; shutdown). */
  async settled(): Promise<void> {
    for (;;) {
      await this.chain;
      if (this.timer === null && this.pending.size === 0 && this.queued === 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
