// Ingestion use case for one trigger invocation (a batch of Event Hubs messages, an Event Grid delivery, a
// reconcile read): parse → normalise → match → fold into a batch delta, persist the delta per protector with
// compare-and-set, then claim and dispatch the alert transitions it caused. Succeeded ARM operations that may change
// what discovery reads (a failover, a geo-secondary, a server or protector written) are handed to discovery as
// triggers — a synchronous hand-over that never waits on ARM (app/drift/scheduler.ts debounces and runs them).
// Invariant I4: every record is applied or stored in the poison table; a bad record never throws. Only an
// infrastructure failure (state or poison store down) throws, so the host's retry policy runs the batch again —
// which is safe, because applying a batch twice changes nothing. Writes are bounded (poison batched by the store,
// state writes through mapLimit): one delivery of 100,000 bad records must not open 100,000 sockets.
import type { EventSource, KeyEvent } from '../domain/events/keyEvent.js';
import { discoveryTriggers, mayTriggerDiscovery, type DiscoveryTrigger } from '../domain/discovery/triggers.js';
import { applyEvent, createFoldState, type ProtectorState } from '../domain/health/fold.js';
import { normaliseRecord, recordsOf } from '../domain/normalise/index.js';
import { deriveProtector } from '../domain/health/report.js';
import { claimTransitions, dispatchPending, type AlertDeps } from './alerts.js';
import { persistDelta } from './persist.js';
import { mapLimit } from './concurrency.js';
import { jsonValueTooDeep, parseJsonText, tooDeepReason, type JsonParse } from './jsonInput.js';
import type { Clock, Logger, PoisonRecord, PoisonStore, StateStore } from './ports.js';
import type { EstateSource } from './estateSource.js';
import { countRecords, inSpan, rejectionKey, SpanKind, type IncidentTally } from './telemetry.js';

/** Protectors whose state is written at once: each is a load and a compare-and-set save (two Table requests). */
const STATE_WRITE_CONCURRENCY = 16;

export interface IngestDeps {
  /** The estate in use: one snapshot of it per batch (matching, persisting and judging agree within a batch). */
  readonly estates: EstateSource;
  readonly state: StateStore;
  readonly poison: PoisonStore;
  readonly alerts: AlertDeps;
  readonly clock: Clock;
  readonly log: Logger;
  /** Receives the batch's re-discovery triggers; must return at once (it is called before the batch's writes). */
  readonly onDiscoveryTriggers?: (triggers: readonly DiscoveryTrigger[]) => void;
  /** Open incidents per protector for the `keysteward.incidents.open` gauge; set for every protector this batch changed. */
  readonly incidentTally?: IncidentTally;
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
  /** Succeeded topology operations handed to discovery. */
  discoveryTriggers: number;
}

/** Bodies arrive as parsed JSON (Functions `dataType: 'string'` + JSON) or as text / bytes; text is depth-checked first. */
function parseBody(body: unknown): JsonParse {
  if (typeof body !== 'string' && !Buffer.isBuffer(body) && !(body instanceof Uint8Array)) return { ok: true, value: body };
  return parseJsonText(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
}

const MAX_POISON_BODY = 32_000;

/**
 * The raw record as text for the poison table: a message's own text as it came, a record of a parsed message as JSON
 * (a record `"x"` stays `"x"`, distinct from the text x). A value handed over already parsed may nest deeper than
 * JSON.stringify can recurse (a stack overflow would fail the whole batch, forever): it is described, not stored.
 */
function bodyText(value: unknown, parsed = false): string {
  let text: string;
  if (typeof value === 'string') text = parsed ? JSON.stringify(value) : value;
  else if (Buffer.isBuffer(value)) text = value.toString('utf8');
  else if (jsonValueTooDeep(value)) text = `(not stored: ${tooDeepReason()})`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > MAX_POISON_BODY ? `${text.slice(0, MAX_POISON_BODY)}…(truncated)` : text;
}

/**
 * One span per batch (`keysteward.ingest.batch`) with its counts; the state writes and the alerts the batch sends are
 * its children, and each alert claimed carries the batch's traceparent in the ledger (a later dispatch links to it).
 */
export function ingestMessages(deps: IngestDeps, messages: readonly IngestMessage[]): Promise<IngestSummary> {
  const partition = messages[0]?.partitionId ?? 'none';
  return inSpan('keysteward.ingest.batch', { kind: SpanKind.CONSUMER, attributes: { 'keysteward.batch.messages': messages.length, 'keysteward.batch.partition': partition } }, async (span) => {
    const summary = await applyBatch(deps, messages);
    span.setAttributes({
      'keysteward.batch.records': summary.records,
      'keysteward.batch.matched': summary.matched,
      'keysteward.batch.ignored': summary.ignored,
      'keysteward.batch.rejected': summary.rejected,
      'keysteward.batch.protectors_changed': summary.protectorsChanged,
      'keysteward.batch.conflicts': summary.conflicts,
      'keysteward.batch.alerts_claimed': summary.alertsClaimed,
    });
    return summary;
  });
}

async function applyBatch(deps: IngestDeps, messages: readonly IngestMessage[]): Promise<IngestSummary> {
  const { estate, index } = deps.estates.current();
  const batch = createFoldState(index);
  const summary: IngestSummary = { records: 0, matched: 0, ignored: 0, rejected: 0, protectorsChanged: 0, conflicts: 0, alertsClaimed: 0, discoveryTriggers: 0 };
  const topology: KeyEvent[] = [];
  const watchTopology = deps.onDiscoveryTriggers !== undefined;
  const poison: PoisonRecord[] = [];
  const receivedAt = new Date(deps.clock.now()).toISOString();
  // Per-source tallies for the record counters: one metric add per label set per batch, not one per record.
  const accepted = new Map<string, number>();
  const rejected = new Map<string, number>();
  const accept = (source: string | undefined): void => {
    const s = source ?? 'unknown';
    accepted.set(s, (accepted.get(s) ?? 0) + 1);
  };
  const reject = (m: IngestMessage, recordIndex: number, source: PoisonRecord['source'], reason: string, body: string): void => {
    summary.rejected++;
    const key = rejectionKey(source, reason);
    rejected.set(key, (rejected.get(key) ?? 0) + 1);
    poison.push({ source, partitionId: m.partitionId, offset: m.offset, sequenceNumber: m.sequenceNumber, recordIndex, reason, body, receivedAt });
  };

  for (const m of messages) {
    const parsed = parseBody(m.body);
    if (!parsed.ok) {
      summary.records++;
      reject(m, 0, 'unknown', parsed.reason, bodyText(m.body));
      continue;
    }
    let recordIndex = 0;
    for (const record of recordsOf(parsed.value)) {
      summary.records++;
      const result = normaliseRecord(record);
      if (result.status === 'rejected') {
        reject(m, recordIndex, (result.source ?? 'unknown') as EventSource | 'unknown', result.reason, bodyText(record, true));
      } else if (result.status === 'ignored') {
        summary.ignored++;
        accept(result.source);
      } else {
        accept(result.source);
        let matched = false;
        for (const event of result.events) {
          if (applyEvent(batch, event)) matched = true;
          if (watchTopology && mayTriggerDiscovery(event)) topology.push(event);
        }
        if (matched) summary.matched++;
        else summary.ignored++;
      }
      recordIndex++;
    }
  }

  countRecords(accepted, rejected);
  if (topology.length > 0) handTriggers(deps, topology, summary);

  // Poison first: once the state is saved the batch may be acknowledged, and a rejected record must not be lost.
  // One call for the whole batch: the store batches its writes and bounds how many are in flight.
  await deps.poison.putMany(poison);
  if (poison.length > 0) deps.log.warn({ rejected: poison.length, first: poison[0]?.reason }, 'records rejected to the poison table');

  const touched = [...batch.protectors.values()].filter((ps) => ps.events.size > 0 || ps.successes.some((s) => s.length > 0));
  const changed: ProtectorState[] = [];
  await inSpan('keysteward.state.write', { attributes: { 'keysteward.state.protectors': touched.length } }, async (span) => {
    const results = await mapLimit(touched, STATE_WRITE_CONCURRENCY, (delta) => persistDelta(deps.state, delta, estate, deps.clock.now()));
    for (const r of results) {
      summary.conflicts += r.conflicts;
      if (r.changed) changed.push(r.state);
    }
    span.setAttributes({ 'keysteward.state.changed': changed.length, 'keysteward.state.conflicts': summary.conflicts });
  });
  summary.protectorsChanged = changed.length;

  if (changed.length > 0) {
    const now = deps.clock.now();
    const incidents = changed.flatMap((ps) => {
      const derived = deriveProtector(estate, ps, now).incidents;
      deps.incidentTally?.set(ps.protector.id, derived);
      return derived;
    });
    summary.alertsClaimed = (await claimTransitions(deps.alerts, incidents)).length;
    if (summary.alertsClaimed > 0) await dispatchPending(deps.alerts);
  }
  return summary;
}

/** Never fails the batch: discovery is a consumer of ingestion, not a part of applying it. */
function handTriggers(deps: IngestDeps, events: readonly KeyEvent[], summary: IngestSummary): void {
  try {
    const triggers = discoveryTriggers(events);
    summary.discoveryTriggers = triggers.length;
    if (triggers.length > 0) deps.onDiscoveryTriggers?.(triggers);
  } catch (err) {
    deps.log.error({ error: err instanceof Error ? err.message : String(err) }, 'could not hand topology changes to discovery');
  }
}

/**
 * The batch could not be applied and the host will not retry it again (the Functions host checkpoints past a
 * batch whose last retry threw): keep every message in the poison table instead, with where it came from (I4).
 */
export async function poisonMessages(deps: Pick<IngestDeps, 'poison' | 'clock' | 'log'>, messages: readonly IngestMessage[], reason: string): Promise<void> {
  const receivedAt = new Date(deps.clock.now()).toISOString();
  await deps.poison.putMany(
    messages.map((m) => ({ source: 'unknown', partitionId: m.partitionId, offset: m.offset, sequenceNumber: m.sequenceNumber, recordIndex: -1, reason: `batch not applied after retries: ${reason}`.slice(0, 1000), body: bodyText(m.body), receivedAt })),
  );
  deps.log.error({ messages: messages.length, reason }, 'batch poisoned after its last retry');
}
