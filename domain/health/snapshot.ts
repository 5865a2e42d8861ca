// The durable form of a protector's fold state: plain JSON, bounded in size. Compaction keeps the newest
// evidence (by (time, id), so it is still a function of the event set) and drops what can no longer change a
// decision within the horizon; a state is then small enough for one Table Storage entity.
import type { KeyEvent } from '../events/keyEvent.js';
import type { InventoryVersion, Protector } from '../estate/model.js';
import type { ProtectorState } from './fold.js';
import { compareEvents } from './order.js';
import { insertSorted } from './fold.js';

export interface ProtectorSnapshot {
  readonly v: 1;
  readonly protectorId: string;
  readonly events: readonly KeyEvent[];
  /**
   * Per member resource id, sorted unique instants of successful key use. Keyed by identity, not position: an
   * estate edit that reorders members (a failover swapping primary and secondary) must not move one server's
   * successes to another, where they could resolve a real incident.
   */
  readonly successes: Readonly<Record<string, readonly number[]>>;
  /** Live inventory of the protector key per member vault, when reconcile has read it. */
  readonly inventory?: Readonly<Record<string, readonly InventoryVersion[]>>;
}

/** Successes per member kept in the durable state (events are bounded by compactState). */
export const MAX_SUCCESSES_PER_MEMBER = 256;

export function toSnapshot(state: ProtectorState): ProtectorSnapshot {
  const events = [...state.events.values()].sort(compareEvents);
  return {
    v: 1,
    protectorId: state.protector.id,
    events,
    successes: Object.fromEntries(
      state.protector.members.map((m, i) => {
        const list = state.successes[i] ?? [];
        return [m.resourceId, list.length > MAX_SUCCESSES_PER_MEMBER ? list.slice(-MAX_SUCCESSES_PER_MEMBER) : [...list]];
      }),
    ),
    ...(state.liveInventory ? { inventory: Object.fromEntries(state.liveInventory) } : {}),
  };
}

/** Rebuilds a fold state; members the snapshot does not know (the estate grew) start empty. */
export function fromSnapshot(protector: Protector, snapshot: ProtectorSnapshot | null): ProtectorState {
  const events = new Map<string, KeyEvent>();
  for (const e of snapshot?.events ?? []) events.set(e.id, e);
  const state: ProtectorState = { protector, events, successes: protector.members.map((m) => [...(snapshot?.successes[m.resourceId] ?? [])]) };
  if (snapshot?.inventory) state.liveInventory = new Map(Object.entries(snapshot.inventory));
  return state;
}

/** Set union of two states of one protector: commutative and idempotent, so merging a batch twice is harmless. */
export function mergeInto(target: ProtectorState, delta: ProtectorState): boolean {
  let changed = false;
  for (const [id, e] of delta.events) {
    if (!target.events.has(id)) {
      target.events.set(id, e);
      changed = true;
    }
  }
  delta.successes.forEach((list, i) => {
    const into = target.successes[i];
    if (!into) return;
    for (const t of list) {
      const before = into.length;
      insertSorted(into, t);
      if (into.length !== before) changed = true;
    }
  });
  if (delta.liveInventory) {
    // Per vault, the newer read replaces the older; vaults the delta did not read keep their last read.
    const merged = new Map([...(target.liveInventory ?? []), ...delta.liveInventory]);
    if (JSON.stringify([...merged]) !== JSON.stringify([...(target.liveInventory ?? [])])) changed = true;
    target.liveInventory = merged;
  }
  return changed;
}
