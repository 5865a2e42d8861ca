// Per-protector compare-and-set: load, merge the delta (a set union), save with the ETag; on a conflict, reload
// and merge again. Because the merge is commutative and idempotent, concurrent instances never lose an update
// and a redelivered batch changes nothing (I4, I5).
import { fromSnapshot, mergeInto, toSnapshot } from '../domain/health/snapshot.js';
import { compactState } from '../domain/health/compact.js';
import type { Estate } from '../domain/estate/model.js';
import type { ProtectorState } from '../domain/health/fold.js';
import type { StateStore } from './ports.js';

export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
}

const MAX_ATTEMPTS = 8;

export interface PersistResult {
  readonly state: ProtectorState;
  readonly changed: boolean;
  readonly conflicts: number;
}

/** Returns the state as stored (compacted), so callers judge exactly what the next reader will load. */
export async function persistDelta(store: StateStore, delta: ProtectorState, estate: Estate, now: number): Promise<PersistResult> {
  const protector = delta.protector;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.load(protector.id);
    const merged = fromSnapshot(protector, stored?.snapshot ?? null);
    const changed = mergeInto(merged, delta);
    if (!changed && stored) return { state: merged, changed: false, conflicts: attempt };
    const state = compactState(estate, merged, now);
    const saved = await store.save(protector.id, toSnapshot(state), stored?.etag ?? null);
    if (saved.ok) return { state, changed: true, conflicts: attempt };
    // Someone else wrote in between: back off a little (jitter keeps two instances from colliding again).
    await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20 * (attempt + 1))));
  }
  throw new StateConflictError(`protector ${protector.id}: state kept changing under ${MAX_ATTEMPTS} compare-and-set attempts`);
}

export async function loadState(store: StateStore, protector: ProtectorState['protector']): Promise<ProtectorState> {
  const stored = await store.load(protector.id);
  return fromSnapshot(protector, stored?.snapshot ?? null);
}
