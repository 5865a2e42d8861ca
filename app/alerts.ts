// Alerting use case: claim each transition once in the durable ledger (I7), then dispatch pending alerts in
// groups, within the channel's send budget. A crash between claim and send leaves the alert pending; the next
// dispatch (every sweep) sends it. Nothing is dropped for the rate limit: it waits in the ledger.
import { createHash, randomUUID } from 'node:crypto';

const DISPATCHER_ID = `dispatcher-${randomUUID()}`;
import { alertCandidates, DEFAULT_ALERT_POLICY, OPEN_STAGES, stageKey, type AlertPolicy } from '../domain/alerts/policy.js';
import { groupAlerts, type PendingAlert } from '../domain/alerts/group.js';
import type { AlertKind } from '../domain/alerts/message.js';
import { renderAlert } from '../domain/alerts/render.js';
import type { Incident } from '../domain/report.js';
import type { AlertLedger, Clock, Logger, Notifier, RateLimiter } from './ports.js';

export interface AlertDeps {
  readonly ledger: AlertLedger;
  readonly notifiers: readonly Notifier[];
  readonly recipients: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy?: AlertPolicy;
  readonly limiter?: RateLimiter;
  readonly maxAttempts?: number;
  /** Identifies this dispatcher in alert leases. */
  readonly owner?: string;
}

/** How long a dispatcher may hold an alert while sending it (an ACS send polls until accepted). */
const LEASE_MS = 120_000;

async function kindOf(ledger: AlertLedger, incident: Incident, escalation: boolean): Promise<AlertKind | null> {
  if (escalation) return 'escalation';
  const earlier = OPEN_STAGES.filter((s) => s !== incident.stage);
  const announced = (await Promise.all(earlier.map((s) => ledger.get(stageKey(incident, s))))).some((r) => r !== null);
  if (incident.stage === 'resolved') return announced ? 'resolved' : null; // nobody was told it opened
  return announced ? 'advanced' : 'opened';
}

/** Claims every not-yet-announced transition of these incidents; returns the keys claimed now. */
export async function claimTransitions(deps: AlertDeps, incidents: readonly Incident[]): Promise<string[]> {
  const now = deps.clock.now();
  const claimed: string[] = [];
  for (const candidate of alertCandidates(incidents, now, deps.policy ?? DEFAULT_ALERT_POLICY)) {
    if (await deps.ledger.get(candidate.key)) continue;
    const kind = await kindOf(deps.ledger, candidate.incident, candidate.kind === 'escalation');
    if (kind === null) continue;
    const message = renderAlert({ key: candidate.key, kind, incidents: [candidate.incident], to: deps.recipients, now });
    const fresh = await deps.ledger.claim({ key: candidate.key, message, createdAt: message.createdAt, status: 'pending', attempts: 0 });
    if (fresh) claimed.push(candidate.key);
  }
  if (claimed.length > 0) deps.log.info({ claimed: claimed.length }, 'alert transitions claimed');
  return claimed;
}

export interface DispatchResult {
  sent: number;
  deferred: number;
  failed: number;
}

/** Sends pending alerts, grouped by root cause; one message per group to every channel. */
export async function dispatchPending(deps: AlertDeps): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, deferred: 0, failed: 0 };
  const candidates = await deps.ledger.pending(500);
  if (candidates.length === 0) return result;
  const owner = deps.owner ?? DISPATCHER_ID;
  const leaseAt = deps.clock.now();
  // Only alerts this dispatcher leased are grouped and sent: never the same alert by two dispatchers at once.
  const leased = await Promise.all(candidates.map((r) => deps.ledger.lease(r.key, owner, leaseAt, leaseAt + LEASE_MS)));
  const pending = candidates.filter((_, i) => leased[i]);
  const byKey = new Map(pending.map((r) => [r.key, r]));
  const items: PendingAlert[] = pending.flatMap((r) => {
    const incident = r.message.incidents[0];
    return incident ? [{ key: r.key, kind: r.message.kind, incident, to: r.message.to }] : [];
  });
  // An alert is worth retrying for as long as it can matter (an ACS outage of an hour at a 30 s sweep).
  const maxAttempts = deps.maxAttempts ?? 120;
  for (const group of groupAlerts(items)) {
    const groupKey = createHash('sha256').update(group.keys.join('\n')).digest('base64url').slice(0, 32);
    const now = deps.clock.now();
    if (deps.limiter && !(await deps.limiter.tryTake('email', now))) {
      result.deferred += group.keys.length;
      continue;
    }
    const message = renderAlert({ key: groupKey, kind: group.kind, incidents: group.incidents, to: group.to, now });
    try {
      for (const notifier of deps.notifiers) await notifier.send(message);
      await Promise.all(group.keys.map((key) => deps.ledger.update(key, { status: 'sent', attempts: (byKey.get(key)?.attempts ?? 0) + 1 })));
      result.sent += group.keys.length;
      deps.log.info({ alert: groupKey, kind: group.kind, incidents: group.keys.length, subject: message.subject }, 'alert sent');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await Promise.all(
        group.keys.map((key) => {
          const attempts = (byKey.get(key)?.attempts ?? 0) + 1;
          return deps.ledger.update(key, { status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastError: reason.slice(0, 500) });
        }),
      );
      result.failed += group.keys.length;
      deps.log.error({ alert: groupKey, error: reason }, 'alert send failed; it stays pending');
    }
  }
  return result;
}
