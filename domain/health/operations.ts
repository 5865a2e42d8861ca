// Judging ARM operations (DESIGN.md §4.7). An activity-log record is one phase of one operation: the Start record
// (and an asynchronous operation's Accept record) is intent, the Success record is the change, the Failure record
// cancels what its Start asked for. An operation is identified by its `armOperation` (correlationId, resource id and
// operation name) — never by the correlationId alone, which one Terraform apply or template deployment shares
// across every operation it makes.
//
// Invariants (property-tested in test/domain/health/operations.test.ts):
// - the result depends only on the set of events: any order, duplication or split across batches gives the same;
// - an operation changes something only once its Success record is known, and is dated at that record;
// - a Failure cancels only the attempt it ends (same armOperation), never another operation of the correlation;
// - what a change says is read from its Success record first and completed from its Start records (the request
//   body usually sits on the Start record, the response body on the Success record).
import type { KeyEvent } from '../events/keyEvent.js';
import { compareEvents } from './order.js';

type ArmEvent = KeyEvent & { readonly phase: 'start' | 'success' | 'failure' };

/**
 * The ARM operation an activity-log event records, or null for every other event (Key Vault audit, Event Grid, SQL's
 * own database-state events). Events stored before `armOperation` existed name the same parts in their id
 * (activityLog.ts eventId: `al|<correlationId>|<operation>|<phase>|<time>|<resource>…`), so a state saved by an older
 * version is judged the same way: its failed operations stay cancelled after an upgrade.
 */
function armOperationOf(e: KeyEvent): string | null {
  if (e.source !== 'activity-log' || e.kind === 'sql-database-state' || !('phase' in e)) return null;
  if ('armOperation' in e && typeof e.armOperation === 'string') return e.armOperation;
  const parts = e.id.split('|');
  return parts[0] === 'al' && parts.length >= 6 ? `${parts[1]}|${parts[5]}|${parts[2]}` : null;
}

/** A value that says nothing: the other record of the operation may say it. */
function isBlank(value: unknown): boolean {
  return value === null || value === undefined || value === 'unknown' || (Array.isArray(value) && value.length === 0);
}

const OWN_FIELDS: ReadonlySet<string> = new Set(['id', 'time', 'phase', 'source', 'operation', 'kind']);

/**
 * One event per kind for a succeeded attempt: the Success record's event of that kind (or, when the Success record
 * gave none of that kind, the latest Start's, re-dated), with blank fields filled from the Start records, latest first.
 */
function mergeAttempt(starts: readonly ArmEvent[], successes: readonly ArmEvent[]): KeyEvent[] {
  const at = (successes[0] as ArmEvent).time;
  const kinds = new Set([...successes, ...starts].map((e) => e.kind));
  const out: KeyEvent[] = [];
  for (const kind of kinds) {
    const ofKind = starts.filter((e) => e.kind === kind).reverse();
    const base = successes.find((e) => e.kind === kind) ?? (ofKind[0] as ArmEvent);
    const merged: Record<string, unknown> = { ...base, time: at, phase: 'success' };
    for (const start of ofKind) {
      for (const [field, value] of Object.entries(start)) {
        if (!OWN_FIELDS.has(field) && isBlank(merged[field]) && !isBlank(value)) merged[field] = value;
      }
    }
    out.push(merged as unknown as KeyEvent);
  }
  return out;
}

const PHASE_RANK = { start: 0, success: 1, failure: 1 } as const;

/**
 * The events that take effect, sorted by (time, id): every event that is not an ARM record (Key Vault audit, Event
 * Grid, SQL's own database-state events) as it is unless it records a failure, and one merged event per kind for
 * each ARM operation attempt that succeeded. Attempts still running (Start or Accept only) change nothing yet.
 */
export function effectiveEvents(events: readonly KeyEvent[]): KeyEvent[] {
  const out: KeyEvent[] = [];
  const operations = new Map<string, ArmEvent[]>();
  for (const e of events) {
    const operation = armOperationOf(e);
    if (operation !== null) {
      const list = operations.get(operation);
      if (list) list.push(e as ArmEvent);
      else operations.set(operation, [e as ArmEvent]);
    } else if (!('phase' in e) || e.phase !== 'failure') out.push(e);
  }
  for (const records of operations.values()) {
    records.sort((a, b) => a.time - b.time || PHASE_RANK[a.phase] - PHASE_RANK[b.phase] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // Walk the attempts in time order: Start records accumulate; the next Success or Failure record ends the attempt.
    // The events of one terminal record (a vault write gives a config and an access-policy event) share its instant
    // and phase, so they end the attempt together.
    let starts: ArmEvent[] = [];
    for (let i = 0; i < records.length; ) {
      const e = records[i] as ArmEvent;
      if (e.phase === 'start') {
        starts.push(e);
        i++;
        continue;
      }
      let j = i;
      while (j < records.length && (records[j] as ArmEvent).phase === e.phase && (records[j] as ArmEvent).time === e.time) j++;
      if (e.phase === 'success') out.push(...mergeAttempt(starts, records.slice(i, j)));
      starts = [];
      i = j;
    }
  }
  return out.sort(compareEvents);
}
