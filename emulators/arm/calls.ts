// The count of ARM requests the emulator received, by SDK operation (each page of a listing is one request), and how
// many of them were answered 429: what tests and `npm run bench` read to see that discovery's call count grows
// linearly with the estate.

export interface ArmCallCounts {
  /** Every routed request, 429s included. */
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
  /** Requests answered 429 (also counted in `total`). */
  readonly throttled: number;
  readonly throttledByOperation: Readonly<Record<string, number>>;
}

export class CallCounter {
  private readonly calls = new Map<string, number>();
  private readonly throttled = new Map<string, number>();

  record(operation: string, throttled: boolean): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    if (throttled) this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
  }

  snapshot(): ArmCallCounts {
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    const sorted = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { total: sum(this.calls), byOperation: sorted(this.calls), throttled: sum(this.throttled), throttledByOperation: sorted(this.throttled) };
  }

  reset(): void {
    this.calls.clear();
    this.throttled.clear();
  }
}
