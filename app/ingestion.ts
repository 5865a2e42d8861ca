// Ingestion use case for one trigger invocation (a batch of Event Hubs messages, an Event Grid delivery, a
// reconcile read): parse → normalise → match → fold into a batch delta, persist the delta per protector with
// compare-and-set, then claim and dispatch the alert transitions it caused.
// Invariant I4: every record is applied or stored in the poison table; a bad record never throws. Only an
// infrastructure failure (state or poison store down) throws, so the host's retry policy runs the batch again —
// which is safe, because applying a batch twice changes nothing.
import type { EstateIndex } from '../domain/estate/index.js';
import type { EventSource } from '../domain/events/keyEvent.js';
import { applyEvent, createFoldState, type ProtectorState } from '../domain/health/fold.js';
import { normaliseRecord, recordsOf } from '../domain/normalise/index.js';
import { deriveProtector } from '../domain/health/report.js';
import { claimTransitions, dispatchPending, type AlertDeps } from './alerts.js';
import { persistDelta } from './persist.js';
import type { Clock, Logger, PoisonRecord, PoisonStore, StateStore } from './ports.js';

export interface IngestDeps {
  readonly index: EstateIndex;
  readonly state: StateStore;
  readonly poison: PoisonStore;
  readonly alerts: AlertDeps;
  readonly clock: Clock;
  readonly log: Logger;
}

/** One delivered message and where it came from (partition, offset, sequence number), for the poison table. */
export interface IngestMessage {
  readonly body: unknown;
  readonly partitionId: string;
  readonly offset: string;
  readonly sequenceNumber: number;
}

export interface IngestSummary {
  records: number;
  matched: number;
  ignored: number;
  rejected: number;
  protectorsChanged: number;
  conflicts: number;
  alertsClaimed: number;
}

/** Bodies arrive as parsed JSON (Functions `dataType: 'string'` + JSON) or as text / bytes. */
function parseBody(body: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (typeof body !== 'string' && !Buffer.isBuffer(body) && !(body instanceof Uint8Array)) return { ok: true, value: body };
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
}

const MAX_POISON_BODY = 32_000;

function bodyText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_POISON_BODY ? `${text.slice(0, MAX_POISON_BODY)}…(truncated)` : text;
}

export async function ingestMessages(deps: IngestDeps, messages: readonly IngestMessage[]): Promise<IngestSummary> {
  const batch = createFoldState(deps.index);
  const summary: IngestSummary = { records: 0, matched: 0, ignored: 0, rejected: 0, protectorsChanged: 0, conflicts: 0, alertsClaimed: 0 };
  const poison: PoisonRecord[] = [];
  const receivedAt = new Date(deps.clock.now()).toISOString();
  const reject = (m: IngestMessage, recordIndex: number, source: PoisonRecord['source'], reason: string, raw: unknown): void => {
    summary.rejected++;
    poison.push({ source, partitionId: m.partitionId, offset: m.offset, sequenceNumber: m.sequenceNumber, recordIndex, reason, body: bodyText(raw), receivedAt });
  };

  for (const m of messages) {
    const parsed = parseBody(m.body);
    if (!parsed.ok) {
      summary.records++;
      reject(m, 0, 'unknown', parsed.reason, m.body);
      continue;
    }
    let recordIndex = 0;
    for (const record of recordsOf(parsed.value)) {
      summary.records++;
      const result = normaliseRecord(record);
      if (result.status === 'rejected') {
        reject(m, recordIndex, (result.source ?? 'unknown') as EventSource | 'unknown', result.reason, record);
      } else if (result.status === 'ignored') {
        summary.ignored++;
      } else {
        let matched = false;
        for (const event of result.events) if (applyEvent(batch, event)) matched = true;
        if (matched) summary.matched++;
        else summary.ignored++;
      }
      recordIndex++;
    }
  }

  // Poison first: once the state is saved the batch may be acknowledged, and a rejected record must not be lost.
  await Promise.all(poison.map((p) => deps.poison.put(p)));
  if (poison.length > 0) deps.log.warn({ rejected: poison.length, first: poison[0]?.reason }, 'records rejected to the poison table');

  const touched = [...batch.protectors.values()].filter((ps) => ps.events.size > 0 || ps.successes.some((s) => s.length > 0));
  const results = await Promise.all(touched.map((delta) => persistDelta(deps.state, delta, deps.index.estate, deps.clock.now())));
  const changed: ProtectorState[] = [];
  for (const r of results) {
    summary.conflicts += r.conflicts;
    if (r.changed) changed.push(r.state);
  }
  summary.protectorsChanged = changed.length;

  if (changed.length > 0) {
    const now = deps.clock.now();
    const incidents = changed.flatMap((ps) => deriveProtector(deps.index.estate, ps, now).incidents);
    summary.alertsClaimed = (await claimTransitions(deps.alerts, incidents)).length;
    if (summary.alertsClaimed > 0) await dispatchPending(deps.alerts);
  }
  return summary;
}

/**
 * The batch could not be applied and the host will not retry it again (the Functions host checkpoints past a
 * batch whose last retry threw): keep every message in the poison table instead, with where it came from (I4).
 */
export async function poisonMessages(deps: Pick<IngestDeps, 'poison' | 'clock' | 'log'>, messages: readonly IngestMessage[], reason: string): Promise<void> {
  const receivedAt = new Date(deps.clock.now()).toISOString();
  await Promise.all(
    messages.map((m) =>
      deps.poison.put({ source: 'unknown', partitionId: m.partitionId, offset: m.offset, sequenceNumber: m.sequenceNumber, recordIndex: -1, reason: `batch not applied after retries: ${reason}`.slice(0, 1000), body: bodyText(m.body), receivedAt }),
    ),
  );
  deps.log.error({ messages: messages.length, reason }, 'batch poisoned after its last retry');
}
