// What a phase of the suite is: a name, a time bound, and a run that breaks something while keysteward works, records
// what keysteward acknowledged in the history, and returns what it did (for the JSON line; durations are printed,
// never asserted).
import type { Actions } from '../actions.js';
import type { Corpus } from '../corpus.js';
import type { EventHubsDriver } from '../eventHubs.js';
import type { History } from '../history.js';
import type { Rig } from '../rig.js';

export interface PhaseContext {
  readonly rig: Rig;
  readonly history: History;
  readonly corpus: Corpus;
  readonly actions: Actions;
  readonly eventHubs: EventHubsDriver;
  readonly short: boolean;
  readonly log: (line: string) => void;
  /** Text the suite must scan for secrets (I8) before a later phase destroys it (Redis before a FLUSHALL). */
  snapshotRedis(label: string): Promise<void>;
}

export type PhaseDetail = Record<string, unknown>;

export interface Phase {
  readonly name: string;
  /** The most a phase may take; past it the suite stops waiting for it and counts it failed. */
  budgetMs(short: boolean): number;
  run(ctx: PhaseContext): Promise<PhaseDetail>;
}

/** The running host named `name` (the suite starts host A before any phase). */
export function hostOf(ctx: PhaseContext, name: string) {
  const h = ctx.rig.hosts.get(name);
  if (!h) throw new Error(`host ${name} is not running`);
  return h;
}
