// Bounding a protector's stored events without changing any decision. A denial storm (a server retrying its key
// every few seconds) is the only source of many events; each retry after the first adds evidence but changes
// nothing. Compaction keeps every signal that changed an incident's state (its opening, loss, resolution,
// reopening — so openedAt, accessLostAt and episodes never move), the evidence the report shows (first 3 and
// latest 7 per incident), and every event that is not a key-access denial (changes are rare and each may matter).
// Invariant: for the events kept, derived incidents equal those of the full set (tested as a property).
import { withLiveInventory, type Estate } from '../estate/model.js';
import type { KeyEvent } from '../events/keyEvent.js';
import type { ProtectorState } from './fold.js';
import { memberCauses, withSqlAccessible } from './incidents.js';
import { compareEvents } from './order.js';
import { buildProtectorView } from './view.js';

/** Beyond this many stored events a protector's state is compacted. */
export const COMPACT_ABOVE = 400;
const EVIDENCE_FIRST = 3;
const EVIDENCE_LAST = 7;

/**
 * Compacts the events up to `now` (the instant the state is saved at); events dated later are all kept, since
 * they have not been judged yet. Decisions at any instant from `now` on are unchanged.
 */
export function compactState(estate: Estate, state: ProtectorState, now: number, limit = COMPACT_ABOVE): ProtectorState {
  if (state.events.size <= limit) return state;
  const effective = state.liveInventory ? withLiveInventory(estate, state.protector.keyName, state.liveInventory) : estate;
  const view = buildProtectorView(effective, state, now);
  const keep = new Set<string>();
  state.protector.members.forEach((_m, i) => {
    const successes = withSqlAccessible(view, i, state.successes[i] ?? []);
    for (const { signals } of memberCauses(effective, view, i, successes, now, (s) => keep.add(s.event.id))) {
      const ordered = signals.map((s) => s.event).sort(compareEvents);
      for (const e of [...ordered.slice(0, EVIDENCE_FIRST), ...ordered.slice(-EVIDENCE_LAST)]) keep.add(e.id);
    }
  });
  const events = new Map<string, KeyEvent>();
  for (const [id, e] of state.events) if (e.kind !== 'key-access' || e.time > now || keep.has(id)) events.set(id, e);
  const compacted: ProtectorState = { protector: state.protector, events, successes: state.successes };
  if (state.liveInventory) compacted.liveInventory = state.liveInventory;
  return compacted;
}
