// Use case: replay exported events against an estate and report what keysteward detects (DESIGN.md §4.2–4.3).
import type { Estate } from '../domain/estate/model.js';
import { indexEstate } from '../domain/estate/index.js';
import { createFoldState } from '../domain/health/fold.js';
import { emptyProcessed, ingestValue } from '../domain/health/ingest.js';
import { buildReport } from '../domain/health/report.js';
import type { ReplayReport } from '../domain/report.js';
import type { Millis } from '../domain/time.js';

export interface ReplayInput {
  readonly value: unknown;
  readonly where: string;
  /** Set when the source text was not JSON: the whole input counts as one rejected record. */
  readonly error?: string;
}

export interface ReplayOptions {
  readonly estate: Estate;
  /** Instant for time-based decisions; default: the latest event time seen (or the epoch when there is none). */
  readonly now?: Millis;
  readonly onRejected?: (where: string, reason: string) => void;
}

export async function replay(inputs: AsyncIterable<ReplayInput> | Iterable<ReplayInput>, options: ReplayOptions): Promise<ReplayReport> {
  const state = createFoldState(indexEstate(options.estate));
  const processed = emptyProcessed();
  for await (const input of inputs) {
    if (input.error !== undefined) {
      processed.records++;
      processed.rejected++;
      options.onRejected?.(input.where, input.error);
      continue;
    }
    ingestValue(state, input.value, processed, (ordinal, reason) => options.onRejected?.(`${input.where}#${ordinal}`, reason));
  }
  const now = options.now ?? state.latestEventTime ?? 0;
  return buildReport(state, processed, now);
}
