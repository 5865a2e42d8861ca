// Advancing one ITSM rotation request, one state at a time (the body of its queued job). Gather → decide → act:
// read the ticket with keysteward's own credentials, judge it (domain/itsm/approval.ts), then record the decision
// with compare-and-set and write it back to the ticket through the outbox. Safe to run twice at once or again after a
// crash: every transition is compare-and-set on the durable record, notes have stable ids, and the run's id is derived
// from the request, so a second start finds the first run instead of making another (I1).
import { judgeTicket } from '../../domain/itsm/approval.js';
import { acceptedNote, dryRunNote, preflightRefusedNote, runEndedNote, runStartedNote, stateNote, stepNote, type TicketNote } from '../../domain/itsm/notes.js';
import { isTerminalState, moveRequest, noteWaiting, runIdForRequest, ticketLabel, type ItsmRequest, type ItsmSystem, type RequestState } from '../../domain/itsm/request.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import type { Clock, Logger } from '../ports.js';
import type { StartOptions, StartResult } from '../rotation/start.js';
import { ItsmRefusedError, ItsmUnavailableError, ticketKey, type ItsmOutbox, type ItsmRequestStore, type TicketSystem } from './ports.js';

export interface ItsmRotations {
  start(protectorId: string, options: StartOptions): Promise<StartResult>;
  get(runId: string): Promise<RotationRun | null>;
}

export interface AdvanceDeps {
  readonly store: ItsmRequestStore;
  readonly outbox: ItsmOutbox;
  /** The configured ITSM systems; a request about another system cannot be judged. */
  readonly tickets: (system: ItsmSystem) => TicketSystem | null;
  readonly rotations: ItsmRotations;
  /** The protectors of the estate in use, asked at the time of each decision. */
  readonly protectors: Pick<ReadonlySet<string>, 'has'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often a pending request reads its ticket again (default 60 s). */
  readonly recheckMs?: number;
  /** How often a running request reads its run (default 5 s). */
  readonly progressMs?: number;
  /** A request not approved within this long expires whatever its window (default 7 days). */
  readonly pendingTtlMs?: number;
}

export type AdvanceOutcome = { readonly kind: 'done'; readonly state: RequestState } | { readonly kind: 'later'; readonly at: number; readonly state: RequestState };

type Stored = { readonly request: ItsmRequest; readonly etag: string };

/** A compare-and-set that lost: someone else advanced the request; start over from what is stored. */
class Conflict extends Error {}

const DEFAULT_RECHECK_MS = 60_000;
const DEFAULT_PROGRESS_MS = 5_000;
const DEFAULT_PENDING_TTL_MS = 7 * 86_400_000;
const BUSY_RETRY_MS = 15_000;

export async function advanceItsmRequest(deps: AdvanceDeps, id: string): Promise<AdvanceOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await deps.store.get(id);
    if (!stored) throw new Error(`ITSM request ${id} is not in the store`);
    try {
      return await step(deps, stored);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
    }
  }
  throw new Error(`ITSM request ${id}: the record kept changing`);
}

async function save(deps: AdvanceDeps, stored: Stored, next: ItsmRequest): Promise<Stored> {
  const written = await deps.store.update(next, stored.etag);
  if (!written.ok) throw new Conflict();
  return { request: next, etag: written.etag };
}

/** The last creation instant handed out: notes written in one millisecond still sort in the order they were written. */
let lastNoteAt = 0;

async function note(deps: AdvanceDeps, request: ItsmRequest, n: TicketNote | null): Promise<void> {
  if (!n) return;
  lastNoteAt = Math.max(deps.clock.now(), lastNoteAt + 1);
  await deps.outbox.put({ ...n, kind: 'ticket-note', ticket: request.ticket, createdAt: new Date(lastNoteAt).toISOString() });
}

const nowIso = (deps: AdvanceDeps): string => new Date(deps.clock.now()).toISOString();

async function move(deps: AdvanceDeps, stored: Stored, to: RequestState, reason: string, patch: Parameters<typeof moveRequest>[4] = {}): Promise<Stored> {
  const moved = moveRequest(stored.request, to, reason, nowIso(deps), patch);
  if (!moved.ok) throw new Error(moved.error);
  const saved = await save(deps, stored, moved.request);
  deps.log.info({ request: saved.request.id, state: to, reason }, 'ITSM request advanced');
  return saved;
}

/** The notes the current state implies, written again (the outbox keeps one of each): a crash between a transition and its note loses nothing. */
async function ensureNotes(deps: AdvanceDeps, request: ItsmRequest, run: RotationRun | null): Promise<void> {
  await note(deps, request, acceptedNote(request));
  await note(deps, request, stateNote(request));
  if (run && request.state !== 'pending-approval' && request.state !== 'approved') {
    await note(deps, request, runStartedNote(request, run));
    await note(deps, request, runEndedNote(request, run));
  }
}

async function step(deps: AdvanceDeps, stored: Stored): Promise<AdvanceOutcome> {
  const r = stored.request;
  const now = deps.clock.now();
  if (isTerminalState(r.state)) {
    await ensureNotes(deps, r, r.runId ? await deps.rotations.get(r.runId) : null);
    return { kind: 'done', state: r.state };
  }
  switch (r.state) {
    case 'pending-approval':
      await ensureNotes(deps, r, null);
      return pending(deps, stored, now);
    case 'approved':
      return approved(deps, stored, now);
    case 'running':
      return running(deps, stored, now);
    default:
      throw new Error(`ITSM request ${r.id} is in an unknown state`);
  }
}

async function pending(deps: AdvanceDeps, stored: Stored, now: number): Promise<AdvanceOutcome> {
  const r = stored.request;
  const recheckMs = deps.recheckMs ?? DEFAULT_RECHECK_MS;
  const finish = async (to: 'refused' | 'expired', reason: string): Promise<AdvanceOutcome> => {
    const saved = await move(deps, stored, to, reason);
    await note(deps, saved.request, stateNote(saved.request));
    return { kind: 'done', state: to };
  };
  if (now - Date.parse(r.receivedAt) > (deps.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS)) return finish('expired', 'not approved within the time keysteward keeps a request waiting');
  const system = deps.tickets(r.ticket.system);
  if (!system) return finish('refused', `keysteward has no ${r.ticket.system} connection configured to check the ticket with`);
  let facts;
  try {
    facts = await system.readChange(r.ticket);
  } catch (err) {
    if (err instanceof ItsmUnavailableError || err instanceof ItsmRefusedError) {
      // The ITSM system is down or refuses keysteward's credentials: wait (health shows it), never act unchecked.
      const waiting = noteWaiting(r, `cannot read the ticket yet: ${err.message}`, nowIso(deps));
      if (waiting) await save(deps, stored, waiting);
      const at = err instanceof ItsmUnavailableError && err.retryAt !== null ? Math.max(err.retryAt, now + 1000) : now + recheckMs;
      return { kind: 'later', at, state: r.state };
    }
    throw err;
  }
  const decision = judgeTicket(facts, r, now, recheckMs);
  switch (decision.kind) {
    case 'refused':
    case 'expired':
      return finish(decision.kind, decision.reason);
    case 'pending': {
      const waiting = noteWaiting(r, decision.reason, nowIso(deps));
      if (waiting) await save(deps, stored, waiting);
      return { kind: 'later', at: decision.recheckAt, state: r.state };
    }
    case 'approved': {
      if (!deps.protectors.has(decision.protector)) return finish('refused', `the ticket names protector ${decision.protector}, which is not in keysteward's estate`);
      const window = decision.window ? { start: new Date(decision.window.start).toISOString(), end: new Date(decision.window.end).toISOString() } : null;
      const saved = await move(deps, stored, 'approved', decision.reason, { protector: decision.protector, window, ...(facts ? { ticket: facts.ref } : {}) });
      await note(deps, saved.request, stateNote(saved.request));
      return approved(deps, saved, now);
    }
  }
}

async function approved(deps: AdvanceDeps, stored: Stored, now: number): Promise<AdvanceOutcome> {
  const r = stored.request;
  const protector = r.protector;
  if (protector === null) throw new Error(`ITSM request ${r.id} is approved without a protector`);
  const finish = async (to: 'refused' | 'expired', reason: string, n?: TicketNote): Promise<AdvanceOutcome> => {
    const saved = await move(deps, stored, to, reason);
    await note(deps, saved.request, n ?? stateNote(saved.request));
    return { kind: 'done', state: to };
  };
  if (r.action === 'dry-run') {
    const result = await deps.rotations.start(protector, { requestedBy: requester(r), dryRun: true });
    if (result.kind === 'unavailable') return { kind: 'later', at: now + BUSY_RETRY_MS, state: r.state };
    if (result.kind !== 'dry-run') return finish('refused', `no plan: protector ${protector} is not in the estate`);
    await note(deps, r, dryRunNote(r, result.plan));
    await move(deps, stored, 'completed', 'dry run: the plan was written to the ticket');
    return { kind: 'done', state: 'completed' };
  }
  if (r.window && now >= Date.parse(r.window.end)) return finish('expired', `the change window closed at ${r.window.end} before the rotation could start`);
  // One change approves one rotation: another request about this ticket that already rotated (or is rotating) wins.
  const other = (await deps.store.listByTicket(ticketKey(r.ticket))).find((o) => o.id !== r.id && o.protector === protector && o.action === 'rotate' && (o.state === 'running' || o.state === 'completed'));
  if (other) return finish('refused', `${ticketLabel(r.ticket)} already ${other.state === 'running' ? 'is rotating' : 'rotated'} ${protector} through request ${other.id}`);
  const runId = runIdForRequest(protector, r.id);
  const result = await deps.rotations.start(protector, {
    requestedBy: requester(r),
    runId,
    origin: { kind: 'itsm', request: r.id, profile: r.profile, system: r.ticket.system, ticket: ticketLabel(r.ticket) },
  });
  switch (result.kind) {
    case 'unknown-protector':
    case 'dry-run':
      return finish('refused', `protector ${protector} is not in the estate`);
    case 'busy': {
      const waiting = noteWaiting(r, `waiting: another rotation of ${protector} is running`, nowIso(deps));
      if (waiting) await save(deps, stored, waiting);
      return { kind: 'later', at: now + BUSY_RETRY_MS, state: r.state };
    }
    case 'unavailable': {
      const waiting = noteWaiting(r, `waiting: the rotation cannot be planned safely yet (${result.reason})`, nowIso(deps));
      if (waiting) await save(deps, stored, waiting);
      return { kind: 'later', at: now + BUSY_RETRY_MS, state: r.state };
    }
    case 'refused': {
      const failed = result.run.preflight.filter((p) => !p.ok).map((p) => p.check);
      return finish('refused', `the preflight of rotation ${result.run.id} failed: ${failed.join(', ')}`, preflightRefusedNote(r, result.run));
    }
    case 'started': {
      const saved = await move(deps, stored, 'running', `rotation ${result.run.id} started`, { runId: result.run.id });
      await note(deps, saved.request, runStartedNote(saved.request, result.run));
      return running(deps, saved, now);
    }
  }
}

async function running(deps: AdvanceDeps, stored: Stored, now: number): Promise<AdvanceOutcome> {
  const r = stored.request;
  const run = r.runId ? await deps.rotations.get(r.runId) : null;
  if (!run) throw new Error(`ITSM request ${r.id}: rotation ${r.runId ?? '(none)'} is not in the ledger`);
  await note(deps, r, runStartedNote(r, run));
  let current = stored;
  const fresh = run.steps.filter((s) => s.status === 'done' && !r.reported.includes(s.n)).map((s) => ({ s, n: stepNote(r, run, s) })).filter((x) => x.n !== null);
  for (const { n } of fresh) await note(deps, r, n);
  if (fresh.length > 0) current = await save(deps, current, { ...r, reported: [...r.reported, ...fresh.map((x) => x.s.n)].sort((a, b) => a - b), updatedAt: nowIso(deps) });
  if (run.status === 'running') return { kind: 'later', at: now + (deps.progressMs ?? DEFAULT_PROGRESS_MS), state: 'running' };
  const ok = run.status === 'completed';
  const saved = await move(deps, current, ok ? 'completed' : 'failed', ok ? `rotation ${run.id} completed` : `rotation ${run.id} ended ${run.status}`);
  await note(deps, saved.request, runEndedNote(saved.request, run));
  return { kind: 'done', state: saved.request.state };
}

function requester(r: ItsmRequest): string {
  return `itsm:${r.profile}:${ticketLabel(r.ticket)}${r.requester ? `:${r.requester}` : ''}`.slice(0, 200);
}
