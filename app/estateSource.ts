// The estate in use (issue 8): the estate file, with the discovered overlay applied when there is one. Every use case
// reads it through this port at the time of use — never a copy taken at start-up, never a value copied into a deps
// object — so a failover that discovery has seen changes the roles the next rotation plan, ingestion batch, sweep or
// query uses, without a restart.
// Invariant: `estate`, `index` and `version` of one EstateInUse belong together (one snapshot); a caller that needs
// them consistent for a whole operation (an ingestion batch) takes current() once and uses that snapshot throughout.
import { indexEstate, type EstateIndex } from '../domain/estate/index.js';
import type { Estate } from '../domain/estate/model.js';

export interface EstateInUse {
  readonly estate: Estate;
  readonly index: EstateIndex;
  /** Changes whenever the estate in use does (`file` while no overlay applies). */
  readonly version: string;
}

export interface EstateSource {
  /** The estate in use now, as last loaded (no I/O: ingestion's hot path reads it per batch). */
  current(): EstateInUse;
  /**
   * The estate in use after making sure it is no older than the source's poll interval (a cheap version read when the
   * last check is older). For decisions that must not act on a stale topology: planning and starting a rotation.
   * Rejects with EstateUnverifiedError when that check cannot be made: such a decision is put off, never taken on a
   * topology that may predate a failover.
   */
  fresh(): Promise<EstateInUse>;
}

/** The estate in use could not be checked against the shared discovery record (its store did not answer). */
export class EstateUnverifiedError extends Error {
  override readonly name: string = 'EstateUnverifiedError';
}

/** An estate that never changes (the file alone): the CLI, tests, and hosts without discovery. */
export function fixedEstate(estate: Estate): EstateSource {
  const inUse: EstateInUse = { estate, index: indexEstate(estate), version: 'file' };
  return { current: () => inUse, fresh: async () => inUse };
}
