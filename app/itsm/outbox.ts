// Carrying the outbox to the ITSM systems (a timer on every host). Oldest first; each entry leased before it is sent,
// so two dispatchers never send one at once; a failure backs off exponentially (with jitter) and the entry waits —
// an ITSM outage delays write-backs, never loses them, and never blocks a rotation (rotations never wait on this).
// The first unavailable answer from a system stops this round for that system: the rest would only fail the same way,
// and keeping them in order keeps a ticket's notes in order.
import { randomUUID } from 'node:crypto';
import { retryDelayMs, type BackoffPolicy } from '../../domain/rewrap/retry.js';
import type { ItsmSystem } from '../../domain/itsm/request.js';
import type { Clock, Logger } from '../ports.js';
import { sharedLeaseClock, type ClaimClock } from '../claimClock.js';
import { carryIncident } from './incidentTickets.js';
import { ItsmUnavailableError, type IncidentTicketIndex, type ItsmOutbox, type OutboxEntry, type TicketSystem } from './ports.js';

export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000 };
/** At the 15-minute cap, about two days of trying before an entry is marked failed (and shown in health). */
export const OUTBOX_MAX_ATTEMPTS = 200;
const LEASE_MS = 60_000;
const OWNER = `outbox-${randomUUID()}`;

export interface OutboxDeps {
  readonly outbox: ItsmOutbox;
  readonly tickets: (system: ItsmSystem) => TicketSystem | null;
  readonly incidents: IncidentTicketIndex;
  readonly clock: Clock;
  /** The shared time leases are judged at (Redis TIME), so two dispatchers' skewed clocks agree; default this clock. */
  readonly leaseClock?: ClaimClock;
  readonly log: Logger;
  /** 0..1, default Math.random: spreads retries of many entries after an outage. */
  readonly jitter?: () => number;
  readonly owner?: string;
  readonly maxAttempts?: number;
}

export interface OutboxResult {
  sent: number;
  retried: number;
  failed: number;
  /** Left for a later round (their system answered unavailable earlier in this one). */
  deferred: number;
}

const systemOf = (e: OutboxEntry): ItsmSystem | null => e.ticket?.system ?? e.incident?.system ?? null;

export async function dispatchOutbox(deps: OutboxDeps, limit = 50): Promise<OutboxResult> {
  const result: OutboxResult = { sent: 0, retried: 0, failed: 0, deferred: 0 };
  const owner = deps.owner ?? OWNER;
  const stopped = new Set<ItsmSystem>();
  const leaseClock = await sharedLeaseClock(deps.leaseClock, deps.clock);
  for (const entry of await deps.outbox.due(deps.clock.now(), limit)) {
    const system = systemOf(entry);
    if (system !== null && stopped.has(system)) {
      result.deferred++;
      continue;
    }
    const now = deps.clock.now();
    const leaseAt = leaseClock.now();
    if (!(await deps.outbox.lease(entry.id, owner, leaseAt, leaseAt + LEASE_MS))) continue;
    const target = system === null ? null : deps.tickets(system);
    const done = new Set(entry.done ?? []);
    try {
      if (!target) throw new Error(`no ${system ?? 'ITSM'} connection is configured`);
      if (entry.kind === 'ticket-note' && entry.ticket && entry.text !== undefined) await target.addNote(entry.ticket, entry.text);
      else if (entry.kind === 'incident' && entry.incident) await carryIncident({ tickets: target, index: deps.incidents }, entry.incident, done);
      else throw new Error('malformed outbox entry');
      await deps.outbox.update(entry.id, { status: 'sent', attempts: entry.attempts + 1, nextAttemptAt: now, done: [...done] });
      result.sent++;
    } catch (err) {
      const attempts = entry.attempts + 1;
      const reason = err instanceof Error ? err.message : String(err);
      const retryAfter = err instanceof ItsmUnavailableError && err.retryAt !== null ? Math.max(0, err.retryAt - now) : null;
      const delay = retryAfter ?? retryDelayMs(attempts - 1, null, OUTBOX_BACKOFF) * (0.5 + (deps.jitter ?? Math.random)() / 2);
      const failed = attempts >= (deps.maxAttempts ?? OUTBOX_MAX_ATTEMPTS);
      await deps.outbox.update(entry.id, { status: failed ? 'failed' : 'pending', attempts, nextAttemptAt: now + Math.round(delay), lastError: reason.slice(0, 500), done: [...done] });
      if (failed) result.failed++;
      else result.retried++;
      if (err instanceof ItsmUnavailableError && system !== null) stopped.add(system);
      deps.log.warn({ outbox: entry.id, kind: entry.kind, system, attempts, error: reason }, failed ? 'ITSM write-back given up after its retries' : 'ITSM write-back failed; it is retried');
    }
  }
  return result;
}
