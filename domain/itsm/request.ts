// An ITSM rotation request (DESIGN.md §4.6): what a signed webhook asked for, recorded durably before it is
// acknowledged, then advanced — approval checked against the ITSM system, the rotation run, its end — one state
// change at a time, each with its reason. Pure: time and ids are arguments.
//
// States and the only transitions allowed (anything else is a bug and is refused):
//   pending-approval → approved | refused | expired
//   approved         → running | completed (a dry run: the plan is the outcome) | refused | expired
//   running          → completed | failed
//   completed, failed, refused, expired: terminal.

export type ItsmProfile = 'standard' | 'jira' | 'jsm-automation';
export const ITSM_PROFILES: readonly ItsmProfile[] = ['standard', 'jira', 'jsm-automation'];

export type ItsmAction = 'rotate' | 'dry-run';
export type ItsmSystem = 'servicenow' | 'jira';

export type RequestState = 'pending-approval' | 'approved' | 'running' | 'completed' | 'failed' | 'refused' | 'expired';

/** A ticket as named by a request or an ITSM system: a ServiceNow record (number and/or sys_id) or a Jira issue key. */
export type TicketRef =
  | { readonly system: 'servicenow'; readonly table: 'change_request' | 'incident'; readonly number: string | null; readonly sysId: string | null }
  | { readonly system: 'jira'; readonly key: string };

/**
 * How much the sender's own authentication vouches for the request. `signed`: an HMAC over the body (Standard
 * Webhooks, Jira's X-Hub-Signature). `token`: a bearer token only (JSM automation) — the body could have been written by
 * anyone holding the token, so it is never acted on from the body alone (approval and protector come from the ticket).
 */
export type Assurance = 'signed' | 'token';

export interface StateChange {
  readonly at: string;
  readonly state: RequestState;
  readonly reason: string;
}

export interface ItsmRequest {
  readonly id: string;
  readonly profile: ItsmProfile;
  /** The sender's idempotency key: Standard Webhooks `webhook-id`, Atlassian's webhook identifier, or the JSM body's. */
  readonly idempotencyKey: string;
  /** SHA-256 (hex) of the raw body: the same key with another body is refused (422). */
  readonly bodySha256: string;
  readonly assurance: Assurance;
  readonly action: ItsmAction;
  /** The protector the body names, or null when it names none (the ticket's field then decides). */
  readonly requestedProtector: string | null;
  /** The protector the ticket names, once read; the rotation runs on this one. */
  readonly protector: string | null;
  readonly ticket: TicketRef;
  readonly requester: string | null;
  readonly receivedAt: string;
  readonly state: RequestState;
  readonly reason: string;
  /** The change window as read when the ticket was found approved (ISO instants); null before, and for a dry run. */
  readonly window: { readonly start: string; readonly end: string } | null;
  /** The rotation run this request started (its id is derived from the request id, so a re-run adopts it). */
  readonly runId: string | null;
  /** Switch steps already written back to the ticket (step numbers), so each lands once. */
  readonly reported: readonly number[];
  readonly history: readonly StateChange[];
  readonly updatedAt: string;
}

const NEXT: Readonly<Record<RequestState, readonly RequestState[]>> = {
  'pending-approval': ['approved', 'refused', 'expired'],
  approved: ['running', 'completed', 'refused', 'expired'],
  running: ['completed', 'failed'],
  completed: [],
  failed: [],
  refused: [],
  expired: [],
};

export function isTerminalState(state: RequestState): boolean {
  return NEXT[state].length === 0;
}

export function canMove(from: RequestState, to: RequestState): boolean {
  return NEXT[from].includes(to);
}

/** Job and run ids name BullMQ jobs: letters, digits and hyphens only (never ':' nor a plain integer). */
const SAFE = /[^a-z0-9]+/g;

/**
 * The request's id, derived from (profile, idempotency key) through `digest` (a hex SHA-256 the caller computes):
 * every instance that receives the same delivery computes the same id, so the durable record's key is the dedupe.
 */
export function itsmRequestId(profile: ItsmProfile, digestHex: string): string {
  return `itsm-${profile.replace(SAFE, '')}-${digestHex.toLowerCase().replace(SAFE, '').slice(0, 24)}`;
}

/** The rotation run a request starts: derived from the request, so a step re-run after a crash finds it instead of starting another (I1). */
export function runIdForRequest(protector: string, requestId: string): string {
  const slug = protector.toLowerCase().replace(SAFE, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'p';
  return `rot-${slug}-${requestId.replace(/^itsm-/, 'i')}`.slice(0, 84);
}

export type NewRequestInput = Pick<ItsmRequest, 'id' | 'profile' | 'idempotencyKey' | 'bodySha256' | 'assurance' | 'action' | 'requestedProtector' | 'ticket' | 'requester'> & {
  readonly nowIso: string;
};

export function newRequest(input: NewRequestInput): ItsmRequest {
  const reason = input.assurance === 'token' ? 'accepted (bearer token: lower assurance); approval is read from the ticket' : 'accepted; approval is read from the ticket';
  return {
    id: input.id,
    profile: input.profile,
    idempotencyKey: input.idempotencyKey,
    bodySha256: input.bodySha256,
    assurance: input.assurance,
    action: input.action,
    requestedProtector: input.requestedProtector,
    protector: null,
    ticket: input.ticket,
    requester: input.requester,
    receivedAt: input.nowIso,
    state: 'pending-approval',
    reason,
    window: null,
    runId: null,
    reported: [],
    history: [{ at: input.nowIso, state: 'pending-approval', reason }],
    updatedAt: input.nowIso,
  };
}

export type MoveResult = { readonly ok: true; readonly request: ItsmRequest } | { readonly ok: false; readonly error: string };

/** The request in state `to`, with the change recorded; refused when the state machine does not allow it. */
export function moveRequest(request: ItsmRequest, to: RequestState, reason: string, nowIso: string, patch: Partial<Pick<ItsmRequest, 'protector' | 'runId' | 'ticket' | 'window'>> = {}): MoveResult {
  if (!canMove(request.state, to)) return { ok: false, error: `request ${request.id}: ${request.state} → ${to} is not a transition` };
  return { ok: true, request: { ...request, ...patch, state: to, reason, updatedAt: nowIso, history: [...request.history, { at: nowIso, state: to, reason }] } };
}

/**
 * The same state with a new reason (a pending request waiting for something else now). Recorded in the history only
 * when the reason changed, so a request re-checked every minute for a week does not grow without bound.
 */
export function noteWaiting(request: ItsmRequest, reason: string, nowIso: string): ItsmRequest | null {
  if (request.reason === reason) return null;
  return { ...request, reason, updatedAt: nowIso, history: [...request.history, { at: nowIso, state: request.state, reason }] };
}

/** A human-readable name of the ticket: `CHG0030001`, `CHG-12`. */
export function ticketLabel(ticket: TicketRef): string {
  if (ticket.system === 'jira') return ticket.key;
  return ticket.number ?? ticket.sysId ?? '(unnamed record)';
}
