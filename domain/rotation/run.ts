// A rotation run: the plan plus the progress of each step, as stored in the rotation ledger (Table Storage,
// advanced with compare-and-set). Pure transitions: time and ids are arguments.
// Invariants enforced here, whatever order a queue delivers steps in:
//   I2 — no primary-role step starts before every secondary-role step of the same kind is done, and no
//        switch-protector starts before every install/rotate and verify-thumbprints step is done;
//   I3 — a run never disables or deletes anything (the plan has no such step kind: planInvariantViolations).
import type { PlanStep, RotationPlan, RotationStrategy } from './steps.js';

export type RunStatus = 'running' | 'completed' | 'failed-needs-operator' | 'refused';
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

/** What a step left behind: identifiers and thumbprints only — never key material (I8). */
export interface StepOutcome {
  readonly kid?: string;
  readonly version?: string;
  readonly thumbprint?: string;
  readonly note?: string;
}

export interface RunStep extends PlanStep {
  readonly status: StepStatus;
  readonly attempts: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly outcome?: StepOutcome;
  readonly error?: { readonly code: string; readonly message: string };
  /** Who is executing the step, and until when that holds unless renewed (see claimStep). */
  readonly claim?: StepClaim;
  /**
   * rotate-key: the versions the vault held when the step's rotation was last fenced (recorded by that renewal, before
   * the call). After a crash between the rotation and its tag, the untagged version not among them is this run's.
   */
  readonly seenBefore?: readonly string[];
}

/**
 * A worker's fenced claim on a step (reliability.md R-2): the queue's own job lock can expire under a worker that is
 * alive but stalled, and then a second worker runs the same step. Only the holder of an unexpired claim may start
 * the step's side effect, and it re-checks (renews) the claim in the ledger, by compare-and-set, right before it.
 * `until` and every `nowMs` it is compared with come from ONE time source shared by all workers (the ClaimClock port,
 * app/claimClock.ts), never a worker's own clock: a worker whose clock runs ahead would otherwise see a live claim as
 * lapsed and take it over.
 */
export interface StepClaim {
  readonly token: string;
  readonly until: string;
}

/** What asked for a run beyond `requestedBy`: the ITSM request and its ticket (auditors ask "which change approved it?"). */
export interface RunOrigin {
  readonly kind: 'itsm';
  /** The ITSM request id (GET /api/itsm/requests/{id}). */
  readonly request: string;
  readonly profile: string;
  readonly system: 'servicenow' | 'jira';
  /** The ticket as people name it: CHG0030001, CHG-12. */
  readonly ticket: string;
}

export interface RotationRun {
  readonly id: string;
  readonly protector: string;
  readonly strategy: RotationStrategy;
  readonly status: RunStatus;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly preflight: RotationPlan['preflight'];
  readonly steps: readonly RunStep[];
  readonly origin?: RunOrigin;
  /** W3C traceparent of the span that started the run (an id, never a secret): a re-queued run stays in its trace. */
  readonly traceparent?: string;
}

const ID = /^rot-[a-z0-9][a-z0-9-]{0,80}$/;

/** Rotation ids name BullMQ jobs: never a ':' and never a plain integer (BullMQ job id rules). */
export function rotationId(protector: string, nowMs: number, random: string): string {
  const slug = protector.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'p';
  return `rot-${slug}-${nowMs.toString(36)}-${random.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8)}`;
}

export function isRotationId(id: string): boolean {
  return ID.test(id);
}

/** BullMQ job id of a step: `<runId>-s<n>`. */
export function stepJobId(runId: string, n: number): string {
  const id = `${runId}-s${n}`;
  if (id.includes(':') || /^\d+$/.test(id)) throw new Error(`invalid job id ${id}`);
  return id;
}

export function newRun(plan: RotationPlan, id: string, requestedBy: string, nowIso: string, origin?: RunOrigin): RotationRun {
  const refused = plan.preflight.some((p) => !p.ok);
  return {
    ...(origin ? { origin } : {}),
    id,
    protector: plan.protector,
    strategy: plan.strategy,
    status: refused ? 'refused' : 'running',
    requestedBy,
    createdAt: nowIso,
    updatedAt: nowIso,
    preflight: plan.preflight,
    steps: plan.steps.map((s) => ({ ...s, status: 'pending', attempts: 0 })),
  };
}

/**
 * A recorded run that must not go ahead — its starter lost the protector's lock (taken over as abandoned) before queueing
 * it: refused, with the reason as a failed `lock` check, so the run's record says why it never ran.
 */
export function withdrawnRun(run: RotationRun, reason: string, nowIso: string): RotationRun {
  return { ...run, status: 'refused', updatedAt: nowIso, preflight: [...run.preflight, { check: 'lock', ok: false, reason }] };
}

export function isTerminal(run: RotationRun): boolean {
  return run.status !== 'running';
}

/** Why step n may not start yet (I2), or null when it may. */
export function blockedBy(run: RotationRun, n: number): string | null {
  const step = run.steps.find((s) => s.n === n);
  if (!step) return `no step ${n}`;
  const earlier = run.steps.filter((s) => s.n < n && s.status !== 'done');
  if (earlier.length > 0) return `step ${earlier[0]?.n} (${earlier[0]?.kind}) is not done`;
  if (step.role === 'primary') {
    const secondaries = run.steps.filter((s) => s.kind === step.kind && s.role === 'secondary' && s.status !== 'done');
    if (secondaries.length > 0) return `secondary ${secondaries[0]?.kind} on ${secondaries[0]?.vault} is not done`;
  }
  if (step.kind === 'switch-protector') {
    const material = run.steps.filter((s) => (s.kind === 'install-version' || s.kind === 'rotate-key' || s.kind === 'verify-thumbprints') && s.status !== 'done');
    if (material.length > 0) return `${material[0]?.kind} is not done`;
  }
  return null;
}

/** `token` gives its claim up (its attempt failed and will be retried): the next attempt need not wait for it to lapse. */
export function releaseClaim(run: RotationRun, n: number, token: string): RotationRun | null {
  const step = run.steps.find((s) => s.n === n);
  return step?.claim?.token === token ? unclaimed(run, n) : null;
}

/** Step n without its claim (a finished step is nobody's). */
function unclaimed(run: RotationRun, n: number): RotationRun {
  return { ...run, steps: run.steps.map((s) => (s.n === n && s.claim ? (({ claim: _claim, ...rest }) => rest)(s) : s)) };
}

function withStep(run: RotationRun, n: number, patch: Partial<RunStep>, nowIso: string, status: RunStatus = run.status): RotationRun {
  return { ...run, status, updatedAt: nowIso, steps: run.steps.map((s) => (s.n === n ? { ...s, ...patch } : s)) };
}

/** The claim on step n that is still live at `nowMs` (whoever holds it), or null. A claim ends at `until`, exclusive. */
export function liveClaim(run: RotationRun, n: number, nowMs: number): StepClaim | null {
  const claim = run.steps.find((s) => s.n === n)?.claim;
  return claim && Date.parse(claim.until) > nowMs ? claim : null;
}

export type ClaimDecision =
  | { readonly kind: 'claimed'; readonly run: RotationRun }
  /** Another worker's claim is still live: wait for it to finish or to lapse. */
  | { readonly kind: 'held'; readonly until: string }
  | { readonly kind: 'done' }
  /** The run ended (failed, refused, completed): nothing of it runs any more. */
  | { readonly kind: 'ended' };

/** Step n for the worker holding `token`, for `leaseMs` from `nowMs`: a new attempt unless the claim is already its own. */
export function claimStep(run: RotationRun, n: number, token: string, nowMs: number, leaseMs: number): ClaimDecision {
  const step = run.steps.find((s) => s.n === n);
  if (!step || step.status === 'done') return { kind: 'done' };
  if (isTerminal(run)) return { kind: 'ended' };
  const claim = step.claim;
  const live = liveClaim(run, n, nowMs);
  if (live && live.token !== token) return { kind: 'held', until: live.until };
  const nowIso = new Date(nowMs).toISOString();
  const mine = claim?.token === token;
  const until = new Date(nowMs + leaseMs).toISOString();
  return { kind: 'claimed', run: withStep(run, n, { status: 'running', attempts: step.attempts + (mine ? 0 : 1), startedAt: mine ? (step.startedAt ?? nowIso) : nowIso, claim: { token, until } }, nowIso) };
}

/**
 * The claim extended by `leaseMs`, or null when `token` no longer holds a live claim on step n (do not act). `record`
 * is written with it: what the holder must find again if it crashes right after the effect it is about to cause.
 */
export function renewClaim(run: RotationRun, n: number, token: string, nowMs: number, leaseMs: number, record: Pick<RunStep, 'seenBefore'> = {}): RotationRun | null {
  const step = run.steps.find((s) => s.n === n);
  if (!step || step.status !== 'running' || liveClaim(run, n, nowMs)?.token !== token) return null;
  return withStep(run, n, { ...record, claim: { token, until: new Date(nowMs + leaseMs).toISOString() } }, new Date(nowMs).toISOString());
}

export function completeStep(run: RotationRun, n: number, outcome: StepOutcome, nowIso: string): RotationRun {
  const next = withStep(unclaimed(run, n), n, { status: 'done', finishedAt: nowIso, outcome }, nowIso);
  return next.steps.every((s) => s.status === 'done') ? { ...next, status: 'completed' } : next;
}

/** A failed step fails the run: an operator decides what next (nothing rolls forward on its own). */
export function failStep(run: RotationRun, n: number, error: { code: string; message: string }, nowIso: string): RotationRun {
  return withStep(unclaimed(run, n), n, { status: 'failed', finishedAt: nowIso, error }, nowIso, 'failed-needs-operator');
}

export type FinishDecision =
  | { readonly kind: 'finished'; readonly run: RotationRun }
  /** Another worker holds a live claim on the step now: it records the step's end, not this one. */
  | { readonly kind: 'superseded'; readonly until: string }
  /** Already done (by this worker's earlier attempt or another's): nothing to write. */
  | { readonly kind: 'done' }
  /** The run ended meanwhile (failed, refused): its record stays as it is. */
  | { readonly kind: 'ended' };

/**
 * The end of an attempt of step n by the worker holding `token`: `done` with its outcome, or `failed` (the run then
 * needs an operator). Recorded only by the holder, or when nobody holds a live claim: a worker whose claim passed on
 * leaves the step to the new holder (which finds a completed effect already there, by the rotation-id tag).
 */
export function finishStep(run: RotationRun, n: number, token: string, end: { readonly outcome: StepOutcome } | { readonly error: { code: string; message: string } }, nowMs: number): FinishDecision {
  const step = run.steps.find((s) => s.n === n);
  if (!step || step.status === 'done') return { kind: 'done' };
  if (isTerminal(run)) return { kind: 'ended' };
  const live = liveClaim(run, n, nowMs);
  if (live && live.token !== token) return { kind: 'superseded', until: live.until };
  const nowIso = new Date(nowMs).toISOString();
  return { kind: 'finished', run: 'outcome' in end ? completeStep(run, n, end.outcome, nowIso) : failStep(run, n, end.error, nowIso) };
}

export type GiveUpDecision =
  | { readonly kind: 'failed'; readonly run: RotationRun }
  /** A worker holds a live claim on the step: it is mid-effect, so the run is not failed under it; ask again after `until`. */
  | { readonly kind: 'held'; readonly until: string }
  /** The run ended already (completed, failed, refused): nothing to do. */
  | { readonly kind: 'ended' };

/**
 * The queue gave up on step n (its job ran out of attempts, or failed with its chain): the run needs an operator —
 * but not while any worker holds a live claim on the step. Failing the run releases the protector's lock and drops
 * the staged material, which must not happen under a worker importing or switching right now. When the step was
 * completed meanwhile (by the holder), the queue's chain after it is gone all the same: the first step not done is
 * the one marked failed.
 */
export function giveUpStep(run: RotationRun, n: number, error: { code: string; message: string }, nowMs: number): GiveUpDecision {
  if (isTerminal(run)) return { kind: 'ended' };
  const live = liveClaim(run, n, nowMs);
  if (live) return { kind: 'held', until: live.until };
  const at = run.steps.find((s) => s.n === n && s.status !== 'done') ?? run.steps.find((s) => s.status !== 'done');
  if (!at) return { kind: 'ended' };
  const other = at.n === n ? null : liveClaim(run, at.n, nowMs);
  if (other) return { kind: 'held', until: other.until };
  return { kind: 'failed', run: failStep(run, at.n, error, new Date(nowMs).toISOString()) };
}

/** Percentage of steps done, for progress bars. */
export function progress(run: RotationRun): { done: number; total: number } {
  return { done: run.steps.filter((s) => s.status === 'done').length, total: run.steps.length };
}
