import type { Estate } from '../../domain/estate/model.js';
import type { KeyEvent } from '../../domain/events/keyEvent.js';
import { indexEstate } from '../../domain/estate/index.js';
import { applyEvent, createFoldState } from '../../domain/health/fold.js';
import { buildReport } from '../../domain/health/report.js';
import type { ReplayReport } from '../../domain/report.js';

/** Folds events straight into a report at `now` (processed counts are not what these tests look at). */
export function reportOf(estate: Estate, events: readonly KeyEvent[], now: number): ReplayReport {
  const state = createFoldState(indexEstate(estate));
  for (const e of events) applyEvent(state, e);
  return buildReport(state, { records: events.length, matched: 0, ignored: 0, rejected: 0 }, now);
}
