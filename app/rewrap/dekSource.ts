// The campaign's work list: a paged scan of the DEK store handed out one row at a time to concurrent workers,
// with the next page fetched while the current one is being worked on. The store itself is the campaign state:
// nothing is kept between runs, so a re-run after a crash simply scans again (reliability.md R-9).
import type { DekFilter, DekRecord, DekStore } from './ports.js';

export class DekSource {
  private buffer: DekRecord[] = [];
  private at = 0;
  private token: string | undefined;
  private finished = false;
  private fetching: Promise<void> | null = null;

  private pages = 0;

  constructor(
    private readonly store: DekStore,
    private readonly filter: DekFilter,
    private readonly pageSize: number,
    /** Fetch the next page when this few rows are left. */
    private readonly lowWater: number,
  ) {}

  /** The next row, or null when the scan is over. Safe to call from many workers at once. */
  async next(signal?: AbortSignal): Promise<DekRecord | null> {
    for (;;) {
      if (signal?.aborted) return null;
      if (this.at < this.buffer.length) {
        const row = this.buffer[this.at++] ?? null;
        if (!this.finished && this.fetching === null && this.buffer.length - this.at <= this.lowWater) void this.fetch().catch(() => undefined);
        return row;
      }
      if (this.finished) return null;
      await (this.fetching ?? this.fetch());
    }
  }

  private fetch(): Promise<void> {
    if (this.fetching !== null) return this.fetching;
    // A small first page gets the workers going at once; full pages after it, fetched while they work.
    const size = this.pages++ === 0 ? Math.min(this.pageSize, Math.max(50, this.lowWater * 2)) : this.pageSize;
    this.fetching = this.store.list(this.filter, this.token, size).then(
      (page) => {
        this.buffer = [...this.buffer.slice(this.at), ...page.items];
        this.at = 0;
        if (page.next === null) this.finished = true;
        else this.token = page.next;
        this.fetching = null;
      },
      (err: unknown) => {
        this.fetching = null;
        throw err;
      },
    );
    return this.fetching;
  }
}
