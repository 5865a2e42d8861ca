// Alerting use case: claim each transition once in the durable ledger (I7), then dispatch pending alerts in
// groups, channel by channel, within each channel's send budget. Delivery is recorded per channel as soon as that
// channel answers, so a channel that delivered is never sent the alert again while another one is retried (an email
// that went out is not repeated because the webhook failed). A crash between claim and send leaves the alert pending;
// the next dispatch (every sweep) sends it. Nothing is dropped for the rate limit: it waits in the ledger. With no
// channel configured nothing is sent and nothing is marked sent: the alerts stay pending, and health shows them.
import { createHash, randomUUID } from 'node:crypto';

const DISPATCHER_ID = `dispatcher-${randomUUID()}`;
import { alertCandidates, DEFAULT_ALERT_POLICY, OPEN_STAGES, stageKey, type AlertPolicy } from '../domain/alerts/policy.js';
import { groupAlerts, type PendingAlert } from '../domain/alerts/group.js';
import type { AlertKind, AlertMessage } from '../domain/alerts/message.js';
import { renderAlert } from '../domain/alerts/render.js';
import type { Incident } from '../domain/report.js';
import { toIso } from '../domain/time.js';
import { mapLimit } from './concurrency.js';
import type { AlertLedger, AlertRecord, AlertStatus, ChannelDelivery, Clock, Logger, Notifier, RateLimiter } from './ports.js';
import { sharedLeaseClock, type ClaimClock } from './claimClock.js';
import { contextOf, currentTraceparent, inSpan, linkTo, recordAlertLatency, SpanKind } from './telemetry.js';

export interface AlertDeps {
  readonly ledger: AlertLedger;
  readonly notifiers: readonly Notifier[];
  readonly recipients: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy?: AlertPolicy;
  readonly limiter?: RateLimiter;
  readonly maxAttempts?: number;
  /** The shared time leases are judged at (Redis TIME), so two dispatchers' skewed clocks agree; default this clock. */
  readonly leaseClock?: ClaimClock;
  /** Identifies this dispatcher in alert leases. */
  readonly owner?: string;
  /** Ledger calls in flight at once (default 16): 500 incidents opening together must not open 500 connections. */
  readonly concurrency?: number;
  /** How long an alert may wait undelivered before it is given up (default MAX_PENDING_MS). */
  readonly maxPendingMs?: number;
}

/** How long a dispatcher may hold an alert while sending it (an ACS send polls until accepted). */
const LEASE_MS = 120_000;
const DEFAULT_CONCURRENCY = 16;
/** Alerts one dispatch takes from the ledger; the rest wait for the next. */
const DISPATCH_BATCH = 500;
/**
 * An alert still undelivered a day after its transition is given up (failed, 'expired'): it is about a deadline 10
 * minutes out, so a day late it only misleads — and with no channel configured for months the pending list, scanned
 * by every dispatch and health check, would otherwise grow without end. Health still counts it as undelivered
 * (failed) for its window, and the incident itself stays on the board.
 */
export const MAX_PENDING_MS = 24 * 3_600_000;

const fanOut = (deps: AlertDeps): number => deps.concurrency ?? DEFAULT_CONCURRENCY;

async function kindOf(ledger: AlertLedger, incident: Incident, escalation: boolean): Promise<AlertKind | null> {
  if (escalation) return 'escalation';
  // One read at a time (the caller's fan-out is the bound), stopping at the first earlier stage announced.
  let announced = false;
  for (const s of OPEN_STAGES) {
    if (s === incident.stage) continue;
    if (await ledger.get(stageKey(incident, s))) {
      announced = true;
      break;
    }
  }
  if (incident.stage === 'resolved') return announced ? 'resolved' : null; // nobody was told it opened
  return announced ? 'advanced' : 'opened';
}

/** Claims every not-yet-announced transition of these incidents; returns the keys claimed now. */
export async function claimTransitions(deps: AlertDeps, incidents: readonly Incident[]): Promise<string[]> {
  const now = deps.clock.now();
  // The trace that raised the transition (an ingestion batch): its send span joins that trace, whoever sends it.
  const traceparent = currentTraceparent();
  // Every channel configured now starts pending, so the transition shows where it is still to go.
  const channels = Object.fromEntries(deps.notifiers.map((n) => [n.channel, { status: 'pending' as const, attempts: 0 }]));
  const outcomes = await mapLimit(alertCandidates(incidents, now, deps.policy ?? DEFAULT_ALERT_POLICY), fanOut(deps), async (candidate) => {
    if (await deps.ledger.get(candidate.key)) return null;
    const kind = await kindOf(deps.ledger, candidate.incident, candidate.kind === 'escalation');
    if (kind === null) return null;
    const message = renderAlert({ key: candidate.key, kind, incidents: [candidate.incident], to: deps.recipients, now });
    const fresh = await deps.ledger.claim({ key: candidate.key, message, createdAt: message.createdAt, status: 'pending', attempts: 0, channels, ...(traceparent ? { traceparent } : {}) });
    return fresh ? candidate.key : null;
  });
  const claimed = outcomes.filter((k): k is string => k !== null);
  if (claimed.length > 0) deps.log.info({ claimed: claimed.length }, 'alert transitions claimed');
  return claimed;
}

export interface DispatchResult {
  /** Alerts every channel has now delivered. */
  sent: number;
  /** Alerts a channel's send budget held back (they stay pending). */
  deferred: number;
  /** Alerts a channel failed this time (retried later, or given up after maxAttempts). */
  failed: number;
  /** Alerts given up now for being undelivered longer than maxPendingMs. */
  expired?: number;
}

/** Where one leased alert stands during a dispatch; written back after each channel's answer. */
interface Progress {
  readonly record: AlertRecord;
  channels: Record<string, ChannelDelivery>;
  lastError?: string;
  tried: boolean;
  deferred: boolean;
  failed: boolean;
}

/** `sent` once every configured channel delivered; `failed` once none is left to try; `pending` otherwise. */
export function overallStatus(configured: readonly string[], channels: Readonly<Record<string, ChannelDelivery>>): AlertStatus {
  const states = configured.map((c) => channels[c]?.status ?? 'pending');
  if (states.length === 0 || states.includes('pending')) return 'pending';
  return states.every((s) => s === 'sent') ? 'sent' : 'failed';
}

/** Gives up alerts undelivered for too long: each leased first, so none is marked failed while another dispatcher sends it. */
async function expire(deps: AlertDeps, records: readonly AlertRecord[], owner: string, leaseAt: number): Promise<number> {
  const done = await mapLimit(records, fanOut(deps), async (r) => {
    if (!(await deps.ledger.lease(r.key, owner, leaseAt, leaseAt + LEASE_MS))) return false;
    const reason = `expired: undelivered since ${r.createdAt}`;
    const channels = Object.fromEntries(Object.entries(r.channels).map(([c, d]) => [c, d.status === 'pending' ? { ...d, status: 'failed' as const, lastError: reason } : d]));
    await deps.ledger.update(r.key, { status: 'failed', attempts: r.attempts, lastError: reason, channels });
    return true;
  });
  const n = done.filter(Boolean).length;
  if (n > 0) deps.log.warn({ alerts: n, maxPendingMs: deps.maxPendingMs ?? MAX_PENDING_MS }, 'alerts undelivered for too long were given up (failed: expired)');
  return n;
}

/** Sends pending alerts, grouped by root cause; per channel, one message per group to each channel not yet delivered. */
export async function dispatchPending(deps: AlertDeps): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, deferred: 0, failed: 0 };
  // Nowhere to send: claim nothing as sent. The alerts stay pending (health reports them as undelivered) until they expire.
  const all = await deps.ledger.pending(DISPATCH_BATCH, deps.notifiers.length > 0 ? deps.notifiers.map((n) => n.channel) : undefined);
  if (all.length === 0) return result;
  const owner = deps.owner ?? DISPATCHER_ID;
  const leaseAt = (await sharedLeaseClock(deps.leaseClock, deps.clock)).now();
  const expiredBefore = leaseAt - (deps.maxPendingMs ?? MAX_PENDING_MS);
  const isExpired = (r: AlertRecord): boolean => Date.parse(r.createdAt) < expiredBefore;
  const expired = await expire(deps, all.filter(isExpired), owner, leaseAt);
  if (expired > 0) result.expired = expired;
  const candidates = all.filter((r) => !isExpired(r));
  if (deps.notifiers.length === 0 || candidates.length === 0) return result;
  // Only alerts this dispatcher leased are grouped and sent: never the same alert by two dispatchers at once.
  const leased = await mapLimit(candidates, fanOut(deps), (r) => deps.ledger.lease(r.key, owner, leaseAt, leaseAt + LEASE_MS));
  const progress = new Map<string, Progress>(
    candidates.filter((_, i) => leased[i]).map((r) => [r.key, { record: r, channels: { ...r.channels }, tried: false, deferred: false, failed: false }]),
  );
  const configured = deps.notifiers.map((n) => n.channel);
  // An alert is worth retrying for as long as it can matter (an ACS outage of an hour at a 30 s sweep).
  const maxAttempts = deps.maxAttempts ?? 120;

  const save = (p: Progress): Promise<void> =>
    deps.ledger.update(p.record.key, {
      status: overallStatus(configured, p.channels),
      attempts: p.record.attempts + (p.tried ? 1 : 0),
      ...(p.lastError === undefined ? {} : { lastError: p.lastError }),
      channels: p.channels,
    });

  for (const notifier of deps.notifiers) {
    const channel = notifier.channel;
    const items: PendingAlert[] = [...progress.values()].flatMap((p) => {
      const state = p.channels[channel]?.status ?? 'pending';
      const incident = p.record.message.incidents[0];
      return state === 'pending' && incident ? [{ key: p.record.key, kind: p.record.message.kind, incident, to: p.record.message.to }] : [];
    });
    for (const group of groupAlerts(items)) {
      const members = group.keys.map((k) => progress.get(k) as Progress);
      const now = deps.clock.now();
      if (deps.limiter && !(await deps.limiter.tryTake(channel, now))) {
        for (const p of members) p.deferred = true;
        continue;
      }
      const groupKey = createHash('sha256').update(group.keys.join('\n')).digest('base64url').slice(0, 32);
      const message = renderAlert({ key: groupKey, kind: group.kind, incidents: group.incidents, to: group.to, now });
      const outcome = await sendTraced(deps, notifier, message, group.kind, members);
      for (const p of members) {
        const before = p.channels[channel] ?? { status: 'pending', attempts: 0 };
        const attempts = before.attempts + 1;
        p.tried = true;
        if (outcome.ok) {
          p.channels[channel] = { ...before, status: 'sent', attempts, sentAt: toIso(now) };
          const at = transitionAt(p.record);
          if (at !== null) recordAlertLatency((now - at) / 1000, channel, p.record.message.kind);
        } else {
          p.failed = true;
          p.lastError = `${channel}: ${outcome.reason}`;
          p.channels[channel] = { ...before, status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastError: outcome.reason };
        }
      }
      // Written before the next send: a crash after this point cannot make this channel send the alert again.
      await mapLimit(members, fanOut(deps), save);
    }
  }

  for (const p of progress.values()) {
    const status = overallStatus(configured, p.channels);
    if (status === 'sent') result.sent++;
    if (p.deferred) result.deferred++;
    if (p.failed) result.failed++;
    // A channel dropped from the configuration since the last send can leave an alert done without a send now: say so.
    if (!p.tried && status !== p.record.status) await save(p);
  }
  return result;
}

/**
 * One channel's send of one group, in a `keysteward.alert.send` span. Its parent is the trace that raised the group's
 * first alert (its ledger traceparent), so batch → state write → alert send is one trace even when a later sweep
 * delivers it; the other alerts' traces, and the dispatch's own, are links. Never throws: a failure is the outcome.
 */
async function sendTraced(deps: AlertDeps, notifier: Notifier, message: AlertMessage, kind: AlertKind, members: readonly Progress[]): Promise<{ ok: true } | { ok: false; reason: string }> {
  const [first, ...rest] = members.map((p) => p.record.traceparent);
  const links = [...new Set([...rest, currentTraceparent()])].filter((t) => t !== first).flatMap((t) => linkTo(t) ?? []);
  const attributes = { 'keysteward.alert.channel': notifier.channel, 'keysteward.alert.kind': kind, 'keysteward.alert.incidents': members.length };
  return inSpan('keysteward.alert.send', { kind: SpanKind.PRODUCER, attributes, links, ...(first ? { parent: contextOf(first) } : {}) }, async (span) => {
    try {
      await notifier.send(message);
      span.setAttribute('keysteward.alert.outcome', 'sent');
      deps.log.info({ alert: message.key, channel: notifier.channel, kind, incidents: members.length, subject: message.subject }, 'alert sent');
      return { ok: true as const };
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      span.setAttribute('keysteward.alert.outcome', 'failed');
      deps.log.error({ alert: message.key, channel: notifier.channel, error: reason }, 'alert send failed on this channel; it is retried alone');
      return { ok: false as const, reason };
    }
  });
}

/**
 * When the transition an alert announces took effect (ms), the start of its latency: the stage's own time (opened,
 * access lost, inaccessible, autoheal deadline, resolved). An escalation is a reminder due by the clock, not a
 * transition: none.
 */
function transitionAt(record: AlertRecord): number | null {
  const incident = record.message.incidents[0];
  if (!incident || record.message.kind === 'escalation') return null;
  const at: Record<Incident['stage'], string | null> = {
    at_risk: incident.openedAt,
    access_lost: incident.accessLostAt ?? incident.openedAt,
    inaccessible: incident.inaccessibleAt,
    autoheal_expired: incident.autohealDeadline,
    resolved: incident.resolvedAt,
  };
  const iso = at[incident.stage];
  return iso === null ? null : Date.parse(iso);
}
