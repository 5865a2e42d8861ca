// Ports of the ITSM use cases (DESIGN.md §4.6). Adapters: Table Storage (requests, outbox, incident tickets), BullMQ
// (the request queue), the ServiceNow Table API and the Jira / JSM REST API (ticket systems), the inbound signature
// schemes (adapters/webhook). In-memory fakes in app/itsm/fakes pass the same contract suites.
import type { ApprovalStatus, TicketFacts } from '../../domain/itsm/approval.js';
import type { ItsmProfile, ItsmRequest, ItsmSystem, TicketRef } from '../../domain/itsm/request.js';

export type { ApprovalStatus, TicketFacts };

export type StoreWrite = { readonly ok: true; readonly etag: string } | { readonly ok: false };

/** Durable rotation requests (Table Storage), advanced with compare-and-set. */
export interface ItsmRequestStore {
  /** Inserts when absent; `{ok:false}` when a request with this id exists already (the caller reads it). */
  create(request: ItsmRequest): Promise<StoreWrite>;
  get(id: string): Promise<{ readonly request: ItsmRequest; readonly etag: string } | null>;
  update(request: ItsmRequest, etag: string): Promise<StoreWrite>;
  /** Requests not yet in a terminal state: what the reconciler makes sure has a job. */
  listOpen(): Promise<ItsmRequest[]>;
  /** Every request about one ticket (same system and ticket), in any state. */
  listByTicket(ticketKey: string): Promise<ItsmRequest[]>;
}

/** The key under which requests about one ticket are found together. */
export function ticketKey(ticket: TicketRef): string {
  return ticket.system === 'jira' ? `jira|${ticket.key.toUpperCase()}` : `servicenow|${ticket.table}|${(ticket.number ?? ticket.sysId ?? '').toUpperCase()}`;
}

/** The queue that advances requests (BullMQ). Job data is the request id only (I8). */
export interface ItsmJobQueue {
  /** Idempotent per request id. */
  enqueue(requestId: string): Promise<void>;
  /** Makes sure each open request has a live job (after a Redis loss): returns the ids (re)queued. */
  ensure(requestIds: readonly string[]): Promise<string[]>;
}

/** Thrown by a ticket system when the ITSM service could not be reached or answered 429/5xx: retry later. */
export class ItsmUnavailableError extends Error {
  override readonly name = 'ItsmUnavailableError';
  constructor(
    readonly system: ItsmSystem,
    message: string,
    /** When the service said to come back (Retry-After), epoch ms; null when it did not say. */
    readonly retryAt: number | null = null,
  ) {
    super(message);
  }
}

/** Thrown when the ITSM service refuses keysteward's request (401/403/400): retrying as it is will not help. */
export class ItsmRefusedError extends Error {
  override readonly name = 'ItsmRefusedError';
  constructor(
    readonly system: ItsmSystem,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface IncidentTicketInput {
  /** Stable id of the alert group that opens the ticket: a redelivery finds the ticket it opened. */
  readonly correlationId: string;
  readonly summary: string;
  readonly description: string;
  /** 1 (highest) … 3. */
  readonly urgency: 1 | 2 | 3;
}

/**
 * One ITSM system, used with keysteward's own credentials. ServiceNow: change_request and incident through the Table
 * API; Jira / JSM: issues, JSM approvals, comments and transitions through the REST API.
 */
export interface TicketSystem {
  readonly system: ItsmSystem;
  /** The change as keysteward judges it; null when it does not exist (or keysteward may not read it). */
  readChange(ref: TicketRef): Promise<TicketFacts | null>;
  /** A work note (ServiceNow) or comment (Jira) on a change or incident. */
  addNote(ref: TicketRef, text: string): Promise<void>;
  /** The incident ticket an alert group opened earlier, found by its correlation id. */
  findIncident(correlationId: string): Promise<TicketRef | null>;
  openIncident(input: IncidentTicketInput): Promise<TicketRef>;
  /** Resolves the incident with a closing note; a ticket already resolved stays as it is. */
  resolveIncident(ref: TicketRef, note: string): Promise<void>;
}

export type OutboxKind = 'ticket-note' | 'incident';

/** An incident transition to carry to the ITSM system (an alert group, see app/itsm/incidentTickets.ts). */
export interface IncidentWork {
  readonly system: ItsmSystem;
  /** The alert group's key: the correlation id of a ticket it opens. */
  readonly groupKey: string;
  readonly alertKind: 'opened' | 'advanced' | 'resolved' | 'escalation';
  /** Episode keys (domain/alerts/policy episodeKey) of the incidents in the group. */
  readonly episodes: readonly string[];
  readonly summary: string;
  readonly text: string;
  readonly urgency: 1 | 2 | 3;
}

export interface OutboxEntry {
  /** Stable per event (request + event, alert group): writing it twice is one entry. */
  readonly id: string;
  readonly kind: OutboxKind;
  readonly createdAt: string;
  /** ticket-note: where and what. */
  readonly ticket?: TicketRef;
  readonly text?: string;
  /** incident: the transition. */
  readonly incident?: IncidentWork;
  readonly status: 'pending' | 'sent' | 'failed';
  readonly attempts: number;
  /** Epoch ms before which it is not tried again (backoff). */
  readonly nextAttemptAt: number;
  readonly lastError?: string;
  /** Steps of an incident entry already carried out (tickets noted), so a retry does not repeat them. */
  readonly done?: readonly string[];
}

export type OutboxPatch = Pick<OutboxEntry, 'status' | 'attempts' | 'nextAttemptAt'> & { readonly lastError?: string; readonly done?: readonly string[] };

/** Durable write-backs to ITSM systems: an outage delays them, never loses them, and never blocks a rotation. */
export interface ItsmOutbox {
  /** Inserts when absent (false: it was there already). */
  put(entry: Omit<OutboxEntry, 'status' | 'attempts' | 'nextAttemptAt'> & { readonly nextAttemptAt?: number }): Promise<boolean>;
  /** Pending entries due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  /** Takes the right to send an entry until `untilMs` (compare-and-set), so two dispatchers never send one twice at once. */
  lease(id: string, owner: string, nowMs: number, untilMs: number): Promise<boolean>;
  update(id: string, patch: OutboxPatch): Promise<void>;
  get(id: string): Promise<OutboxEntry | null>;
  /** What health shows: pending entries, the oldest one's creation time, the most recent error. */
  backlog(): Promise<{ readonly pending: number; readonly failed: number; readonly oldest: string | null; readonly lastError: string | null }>;
}

/** Which ITSM ticket each incident episode is tracked in (Table Storage). */
export interface IncidentTicketIndex {
  /** The ticket tracking an episode, with the episodes it was opened for and those resolved since. */
  ticketOf(episode: string): Promise<IncidentTicketRecord | null>;
  /** Records (or extends) a ticket and maps each of `episodes` to it. Idempotent. */
  track(record: IncidentTicketRecord): Promise<void>;
}

export interface IncidentTicketRecord {
  readonly correlationId: string;
  readonly ticket: TicketRef;
  readonly episodes: readonly string[];
  readonly resolved: readonly string[];
}

/** How a sender is authenticated, per profile (configured trust, never chosen by a request header). */
export interface InboundAuth {
  readonly profile: ItsmProfile;
  /**
   * Verifies the request. `idempotencyKey` is the sender's delivery id when the scheme has one in a header
   * (Standard Webhooks `webhook-id`, `X-Atlassian-Webhook-Identifier`); null when the body carries it (JSM).
   * `headers`: lower-case names; a header the request carried more than once is a list (an error for the schemes).
   */
  verify(input: { readonly headers: Readonly<Record<string, string | readonly string[]>>; readonly rawBody: Buffer; readonly now: number }): InboundVerdict;
}

export type InboundVerdict =
  | { readonly ok: true; readonly idempotencyKey: string | null; readonly assurance: 'signed' | 'token' }
  | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };
