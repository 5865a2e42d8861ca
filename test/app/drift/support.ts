// The service's discovery wired to fakes: an "Azure" the test changes (facts made from the estate, with failovers), a
// discovery port reading it (optionally held until the test releases it), the memory discovery store, the overlaid
// estate source and the scheduler with timers the test fires by hand.
import type { DiscoveryPort } from '../../../app/drift/ports.js';
import { OverlaidEstateSource } from '../../../app/drift/overlaidEstate.js';
import { rediscover, type RediscoverRequest } from '../../../app/drift/rediscover.js';
import { RediscoveryScheduler, type Timers } from '../../../app/drift/scheduler.js';
import { MemoryDiscoveryStore } from '../../../app/fakes/memoryDiscoveryStore.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { DiscoveryFacts } from '../../../domain/discovery/facts.js';
import type { Estate } from '../../../domain/estate/model.js';
import { factsOf, subscriptionOf, type FactsOptions } from '../../support/discoveryFacts.js';
import { driftEstate } from './estate.js';

/** Azure as discovery reads it: the estate's topology with the changes the test makes. */
export class FakeAzure implements DiscoveryPort {
  options: FactsOptions = {};
  readonly reads: Array<readonly string[]> = [];
  /** When set, every read waits for it (a slow ARM); the facts are taken when the read starts. */
  hold: Promise<void> | null = null;
  failWith: Error | null = null;

  constructor(private readonly estate: Estate) {}

  async discover(request: { readonly subscriptions: readonly string[] }): Promise<{ facts: DiscoveryFacts }> {
    this.reads.push(request.subscriptions);
    if (this.failWith) throw this.failWith;
    const facts = factsOf(this.estate, { ...this.options, subscriptions: request.subscriptions });
    if (this.hold) await this.hold;
    return { facts };
  }

  /** Every subscription the estate's resources live in. */
  subscriptions(): string[] {
    return [...new Set(factsOf(this.estate).subscriptions)];
  }
}

export class ManualTimers implements Timers {
  private next = 1;
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): number {
    const id = this.next++;
    this.armed.set(id, { fn, ms });
    return id;
  }
  clear(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  /** Fires every armed timer (the debounce window ends). */
  fire(): number {
    const due = [...this.armed.values()];
    this.armed.clear();
    due.forEach((t) => t.fn());
    return due.length;
  }
}

export function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** One service instance's discovery over a shared store. */
export function discoveryInstance(file: Estate, azure: FakeAzure, store: MemoryDiscoveryStore, clock: { now: () => number }, opts: { pollMs?: number } = {}) {
  const source = new OverlaidEstateSource(file, store, { pollMs: opts.pollMs ?? 10_000, clock, log: silentLogger });
  const run = (request: RediscoverRequest) => rediscover({ discovery: azure, store, file, clock, log: silentLogger, onStored: (s) => source.adopt(s) }, request);
  const timers = new ManualTimers();
  const scheduler = new RediscoveryScheduler({ run, file, record: () => source.discovery()?.record ?? null, watched: () => azure.subscriptions(), debounceMs: 15_000, log: silentLogger, timers });
  return { source, run, scheduler, timers };
}

export { subscriptionOf };

/** The drift estate, a fake Azure, one shared store and a clock the test moves; `instance()` adds a service instance. */
export function driftWorld(start = Date.parse('2026-12-06T03:00:00Z')) {
  const file = driftEstate();
  const azure = new FakeAzure(file);
  const store = new MemoryDiscoveryStore();
  let now = start;
  const clock = { now: () => now };
  return { file, azure, store, clock, tick: (ms: number) => (now += ms), instance: (pollMs?: number) => discoveryInstance(file, azure, store, clock, pollMs === undefined ? {} : { pollMs }) };
}
