// Is this change approved for this rotation, now? Judged on what keysteward read from the ITSM system itself with
// its own credentials (reliability.md §5 step 7) — never on what the webhook body claims. Pure: the adapters
// translate ServiceNow / Jira shapes into TicketFacts; this decides.
import type { Millis } from '../time.js';
import type { ItsmRequest, TicketRef } from './request.js';

export type ApprovalStatus = 'approved' | 'pending' | 'rejected' | 'not-requested';

export interface TicketFacts {
  /** The ticket as the ITSM system names it (a ServiceNow change read by number comes back with its sys_id). */
  readonly ref: TicketRef;
  readonly approval: ApprovalStatus;
  /** The change's state allows implementation (ServiceNow Scheduled / Implement; a Jira status configured as such). */
  readonly implementable: boolean;
  /** The change is over (closed, canceled, done): nothing will approve it any more. */
  readonly closed: boolean;
  /** The state as the ITSM system shows it, for reasons. */
  readonly stateLabel: string;
  readonly windowStart: Millis | null;
  readonly windowEnd: Millis | null;
  /** The protectors the ticket names (its configured field, or CIs mapped to protectors); normally one. */
  readonly protectors: readonly string[];
}

export type ApprovalDecision =
  /** `window` is null for a dry run (it needs no window). */
  | { readonly kind: 'approved'; readonly protector: string; readonly window: { readonly start: Millis; readonly end: Millis } | null; readonly reason: string }
  /** Not yet: re-check at `recheckAt` (never later than the window's end). */
  | { readonly kind: 'pending'; readonly reason: string; readonly recheckAt: Millis }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'expired'; readonly reason: string };

const iso = (ms: Millis): string => new Date(ms).toISOString();

/** Whether the ticket names the same record the request named (a sys_id and a number that disagree are refused). */
export function sameTicket(asked: TicketRef, found: TicketRef): boolean {
  if (asked.system !== found.system) return false;
  if (asked.system === 'jira' || found.system === 'jira') return asked.system === 'jira' && found.system === 'jira' && asked.key.toUpperCase() === found.key.toUpperCase();
  const num = asked.number === null || found.number === null || asked.number.toUpperCase() === found.number.toUpperCase();
  const sys = asked.sysId === null || found.sysId === null || asked.sysId.toLowerCase() === found.sysId.toLowerCase();
  return num && sys;
}

/**
 * The decision for `request` given the ticket at `now`. Order matters: what can never become approved (wrong ticket,
 * wrong protector, rejected, closed, no window, window over) is refused or expired before "not yet" is considered.
 */
export function judgeTicket(facts: TicketFacts | null, request: ItsmRequest, now: Millis, recheckEveryMs: Millis): ApprovalDecision {
  if (facts === null) return { kind: 'refused', reason: 'the ticket does not exist in the ITSM system (or keysteward may not read it)' };
  if (!sameTicket(request.ticket, facts.ref)) return { kind: 'refused', reason: 'the ticket number and id in the request name different records' };
  const named = [...new Set(facts.protectors)];
  if (named.length === 0) return { kind: 'refused', reason: 'the ticket names no protector' };
  if (named.length > 1) return { kind: 'refused', reason: `the ticket names ${named.length} protectors (${named.join(', ')}); one change approves one rotation` };
  const protector = named[0] as string;
  if (request.requestedProtector !== null && request.requestedProtector !== protector) {
    return { kind: 'refused', reason: `the request names protector ${request.requestedProtector}, the ticket names ${protector}` };
  }
  // A dry run changes nothing: it writes the plan to the ticket, which is what a CAB reviews before approving.
  if (request.action === 'dry-run') return { kind: 'approved', protector, window: null, reason: 'dry run: the plan is written to the ticket (no approval needed, nothing changes)' };
  if (facts.approval === 'rejected') return { kind: 'refused', reason: 'the change was rejected' };
  if (facts.closed) return { kind: 'refused', reason: `the change is ${facts.stateLabel}` };
  if (facts.windowStart === null || facts.windowEnd === null) return { kind: 'refused', reason: 'the change has no planned start and end (the window a rotation must run in)' };
  if (facts.windowEnd <= facts.windowStart) return { kind: 'refused', reason: 'the change window ends before it starts' };
  const { windowStart: start, windowEnd: end } = facts;
  if (now >= end) return { kind: 'expired', reason: `the change window closed at ${iso(end)}` };
  const recheck = (reason: string, earliest = now + recheckEveryMs): ApprovalDecision => ({ kind: 'pending', reason, recheckAt: Math.min(earliest, end) });
  if (facts.approval !== 'approved') return recheck(`waiting for approval (approval: ${facts.approval}, state: ${facts.stateLabel})`);
  if (!facts.implementable) return recheck(`approved; waiting for a state that allows implementation (state: ${facts.stateLabel})`);
  if (now < start) return recheck(`approved; the change window opens at ${iso(start)}`, Math.min(now + recheckEveryMs, start));
  return { kind: 'approved', protector, window: { start, end }, reason: `approved, ${facts.stateLabel}, inside the window ${iso(start)} – ${iso(end)}` };
}
