// The estate in use on an instance: the estate file with the discovered overlay applied (domain/discovery/drift.ts:
// roles and principal ids only). Every instance follows the one shared discovery record:
// - it polls the record's version every `pollMs` (a small read) and loads the record only when the version changed;
// - the instance that wrote a record applies it at once (adopt), without waiting for its poll;
// - fresh() re-checks the version first when the last check is older than `pollMs`, so a decision that must not act on
//   a stale topology (a rotation plan) sees any record written more than `pollMs` ago even if the background poll
//   could not run (a Functions instance thawed from a freeze).
// Invariant: records of one epoch are applied in `seq` order only — a slow read of an older record never replaces a
// newer one; a new epoch (a recreated store) starts a new order.
// A failed poll is logged and leaves the estate in use as it was (the file, or the last overlay applied) for current();
// fresh() then rejects (EstateUnverifiedError) until a check succeeds.
import { indexEstate } from '../../domain/estate/index.js';
import type { Estate } from '../../domain/estate/model.js';
import { applyOverlay } from '../../domain/discovery/drift.js';
import { discoveryView, type DiscoveryView } from '../../domain/discovery/view.js';
import { EstateUnverifiedError, type EstateInUse, type EstateSource } from '../estateSource.js';
import type { Clock, Logger } from '../ports.js';
import type { DiscoveryStore, StoredDiscovery } from './ports.js';

export interface OverlaidEstateOptions {
  readonly pollMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export class OverlaidEstateSource implements EstateSource {
  private inUse: EstateInUse;
  private stored: StoredDiscovery | null = null;
  private overlayJson = 'null';
  private lastCheck = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private view: { key: string; view: DiscoveryView | null } | null = null;

  constructor(
    /** The estate file, as loaded at start-up: the overlay is applied to it, never to an overlaid estate. */
    readonly file: Estate,
    private readonly store: DiscoveryStore,
    private readonly options: OverlaidEstateOptions,
  ) {
    this.inUse = { estate: file, index: indexEstate(file), version: 'file' };
  }

  current(): EstateInUse {
    return this.inUse;
  }

  async fresh(): Promise<EstateInUse> {
    if (this.options.clock.now() - this.lastCheck < this.options.pollMs) return this.inUse;
    await this.refresh();
    // The check failed (logged by check()): a failover recorded since the last good check would be missed.
    if (this.options.clock.now() - this.lastCheck >= this.options.pollMs) throw new EstateUnverifiedError(`the discovery record could not be read; the estate in use was last checked ${Number.isFinite(this.lastCheck) ? new Date(this.lastCheck).toISOString() : 'never'}`);
    return this.inUse;
  }

  /** The discovery record applied now (null before any is stored or read). */
  discovery(): StoredDiscovery | null {
    return this.stored;
  }

  /** The drift and findings of the record applied now against the file, computed once per record. */
  discoveryView(): DiscoveryView | null {
    const key = this.stored ? `${this.stored.record.epoch}:${this.stored.record.seq}` : '';
    if (this.view?.key !== key) {
      const facts = this.stored?.record.facts ?? null;
      this.view = { key, view: facts ? discoveryView(this.file, facts) : null };
    }
    return this.view.view;
  }

  /** Reads the version and, when it changed, the record. One check at a time; callers share the one in flight. */
  refresh(): Promise<void> {
    this.checking ??= this.check().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async check(): Promise<void> {
    const began = this.options.clock.now();
    try {
      const version = await this.store.version();
      if (version !== null && version !== this.stored?.version) {
        const loaded = await this.store.load();
        if (loaded) this.adopt(loaded);
      }
      this.lastCheck = began;
    } catch (err) {
      this.options.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'could not read the discovery record; the estate in use stays as it was');
    }
  }

  /**
   * Applies a record read or written by this instance, unless a newer one of the same history is applied already.
   * A record of another epoch (the store was emptied or recreated) is taken as it comes: should a late read of the old
   * history win that race, the next poll sees the store's version differ from the one held and loads the new again.
   */
  adopt(stored: StoredDiscovery): void {
    const held = this.stored?.record;
    if (held !== undefined && held.epoch === stored.record.epoch && stored.record.seq <= held.seq) return;
    this.stored = stored;
    const overlay = stored.record.overlay;
    const json = JSON.stringify(overlay);
    // Rebuilt only when the overlay itself changed (a failed run or a run that found the same topology keeps it).
    if (json === this.overlayJson) return;
    this.overlayJson = json;
    const estate = applyOverlay(this.file, overlay);
    this.inUse = { estate, index: indexEstate(estate), version: overlay ? `overlay:${stored.record.seq}` : 'file' };
    this.options.log.info({ seq: stored.record.seq, discoveredAt: overlay?.discoveredAt ?? null, protectors: overlay ? Object.keys(overlay.protectors).length : 0 }, 'discovered overlay applied to the estate in use');
  }

  /** Polls every `pollMs` until stop(); the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
