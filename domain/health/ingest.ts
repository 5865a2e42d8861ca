// Parse → normalise → match → fold for one parsed JSON value (an Event Hubs envelope, an array of them, an
// Event Grid array or a single record). A bad record is counted and reported through `onRejected`, never thrown.
import { normaliseRecord, recordsOf } from '../normalise/index.js';
import type { Processed } from '../report.js';
import { applyEvent, type FoldState } from './fold.js';

export type RejectSink = (ordinal: number, reason: string) => void;

export function emptyProcessed(): Processed {
  return { records: 0, matched: 0, ignored: 0, rejected: 0 };
}

/** Folds every record of `value` into `state`, updating `processed`. */
export function ingestValue(state: FoldState, value: unknown, processed: Processed, onRejected?: RejectSink): void {
  let ordinal = 0;
  for (const record of recordsOf(value)) {
    processed.records++;
    ordinal++;
    const result = normaliseRecord(record);
    if (result.status === 'rejected') {
      processed.rejected++;
      onRejected?.(ordinal, result.reason);
      continue;
    }
    if (result.status === 'ignored') {
      processed.ignored++;
      continue;
    }
    let matched = false;
    for (const event of result.events) if (applyEvent(state, event)) matched = true;
    if (matched) processed.matched++;
    else processed.ignored++;
  }
}
