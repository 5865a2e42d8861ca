// Entry point of normalisation: find the records in a parsed JSON value, tell which source each came
// from, and hand it to that source's normaliser. Never throws (DESIGN.md §3).
import type { EventSource, NormaliseResult } from '../events/keyEvent.js';
import { normaliseActivityRecord } from './activityLog.js';
import { asObject } from './common.js';
import { normaliseEventGridEvent } from './eventGrid.js';
import { normaliseAuditRecord } from './keyVaultAudit.js';

export { normaliseActivityRecord } from './activityLog.js';
export { normaliseEventGridEvent } from './eventGrid.js';
export { normaliseAuditRecord } from './keyVaultAudit.js';
export { classifyDenial } from './denial.js';

export type SourcedResult = NormaliseResult & { readonly source?: EventSource };

const ACTIVITY_CATEGORIES: ReadonlySet<string> = new Set([
  'administrative',
  'write',
  'action',
  'delete',
  'policy',
  'security',
  'servicehealth',
  'resourcehealth',
  'alert',
  'autoscale',
  'recommendation',
]);

/** Which source a record comes from, or null when it looks like none of them. */
export function detectSource(raw: unknown): EventSource | null {
  const obj = asObject(raw);
  if (!obj) return null;
  if (obj['eventType'] !== undefined || (obj['type'] !== undefined && obj['specversion'] !== undefined)) return 'event-grid';
  const category = obj['category'];
  const lowerCategory = typeof category === 'string' ? category.toLowerCase() : undefined;
  if (lowerCategory === 'auditevent') return 'keyvault-audit';
  const op = obj['operationName'];
  if (typeof op !== 'string') return null;
  // The older activity-log schema uses Write/Action/Delete as categories; Event Hubs records always
  // carry identity.authorization for ARM operations, and ARM operation names are provider paths.
  if (lowerCategory !== undefined && ACTIVITY_CATEGORIES.has(lowerCategory)) return 'activity-log';
  if (asObject(asObject(obj['identity'])?.['authorization']) || op.includes('/')) return 'activity-log';
  return null;
}

const UNRECOGNISED: SourcedResult = { status: 'rejected', reason: 'unrecognised record' };

export function normaliseRecord(raw: unknown): SourcedResult {
  const source = detectSource(raw);
  if (source === null) return UNRECOGNISED;
  let result: NormaliseResult;
  try {
    result =
      source === 'keyvault-audit'
        ? normaliseAuditRecord(raw)
        : source === 'activity-log'
          ? normaliseActivityRecord(raw)
          : normaliseEventGridEvent(raw);
  } catch (err) {
    // The normalisers are written not to throw; this guard keeps a bug from losing a whole batch.
    result = { status: 'rejected', reason: `normaliser error: ${err instanceof Error ? err.message : String(err)}` };
  }
  // Spelled out rather than spread: `{ ...result, source }` is far slower in V8 on this per-record path.
  return result.status === 'ok' ? { status: 'ok', events: result.events, source } : { status: result.status, reason: result.reason, source };
}

/** Arrays deeper than this are not flattened further: they are yielded as one (rejected) entry. */
const MAX_ARRAY_DEPTH = 4;

/**
 * The records of a parsed JSON value: `{"records":[...]}` → its records; an array (of envelopes, of
 * Event Grid events, of records) → flattened; anything else → itself. Non-objects are yielded as-is so
 * that the caller counts them as rejected.
 */
export function* recordsOf(value: unknown, depth = 0): Generator<unknown, void, undefined> {
  if (Array.isArray(value) && depth < MAX_ARRAY_DEPTH) {
    for (const item of value) yield* recordsOf(item, depth + 1);
    return;
  }
  const records = asObject(value)?.['records'];
  if (Array.isArray(records)) {
    yield* records;
    return;
  }
  yield value;
}
