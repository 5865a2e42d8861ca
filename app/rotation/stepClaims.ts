// A worker's claim on a rotation step, in the ledger (domain/rotation/run.ts has the rules, reliability.md R-2): take
// it, renew it right before an outside effect, give it back, record the step's end, and the queue's giving up. Each
// operation reads the shared claim time (ClaimClock) right before its compare-and-set and judges every claim at it —
// never at this process's clock, which is used only to tell the queue when to come back.
// A reading is a little stale by the time the write lands; stale means earlier, so a claim is only ever seen live for
// longer, and the one granted ends sooner: the safe side for both the taker and the holder.
// The shared time unreadable, nothing is decided or written (ClaimTimeUnknownError): the step is retried later.
import { claimStep, finishStep, giveUpStep, releaseClaim, renewClaim, type FinishDecision, type GiveUpDecision, type RotationRun, type RunStep, type StepOutcome } from '../../domain/rotation/run.js';
import { ClaimClockUnavailableError, type ClaimClock } from '../claimClock.js';
import type { Clock } from '../ports.js';
import type { RotationLedger } from './ports.js';
import { ClaimTimeUnknownError, NonRetryableStepError } from './stepErrors.js';

export interface ClaimDeps {
  readonly ledger: RotationLedger;
  /** The one time every claim is judged at, shared by all workers. */
  readonly claimClock: ClaimClock;
  /** This process's clock: only for the retry time handed to the queue. */
  readonly clock: Clock;
}

export type Stored = { readonly run: RotationRun; readonly etag: string };

/**
 * Compare-and-set of the run: `change` is applied to the stored run and written with its ETag; on a conflict the run
 * is read again and `change` applied again. `known` is a version the caller already holds (just read or just
 * written): it saves the first read, and a stale one only costs the conflict. `change` returning null writes nothing.
 */
export async function advanceRun(ledger: RotationLedger, runId: string, known: Stored | null, change: (run: RotationRun) => RotationRun | null): Promise<Stored> {
  let current = known;
  for (let attempt = 0; attempt < 10; attempt++) {
    current ??= await ledger.get(runId);
    if (!current) throw new NonRetryableStepError('unknown_run', `rotation ${runId} is not in the ledger`);
    const next = change(current.run);
    if (next === null) return current;
    const saved = await ledger.update(next, current.etag);
    if (saved.ok) return { run: next, etag: saved.etag };
    current = null;
  }
  throw new Error(`rotation ${runId}: the ledger kept changing`);
}

/** The shared claim time. Unreadable: ClaimTimeUnknownError — the caller must not act on the step. */
export async function sharedNow(deps: Pick<ClaimDeps, 'claimClock'>, what: string): Promise<number> {
  try {
    return await deps.claimClock.now();
  } catch (err) {
    if (err instanceof ClaimClockUnavailableError) throw new ClaimTimeUnknownError(`${what}: the shared claim clock is unreachable (${err.message})`);
    throw err;
  }
}

/** A decision taken on the run in the ledger, with the version it was taken on (or written as). */
async function decide<D extends { readonly kind: string }>(ledger: RotationLedger, runId: string, known: Stored | null, decision: (run: RotationRun) => D, written: (d: D) => RotationRun | null): Promise<{ readonly decision: D; readonly stored: Stored }> {
  let last: D | undefined;
  const stored = await advanceRun(ledger, runId, known, (run) => {
    last = decision(run);
    return written(last);
  });
  if (last === undefined) throw new Error(`rotation ${runId}: no decision taken`);
  return { decision: last, stored };
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly stored: Stored; readonly until: string }
  /** Another worker holds a live claim: come back at `retryAt` (this process's clock), when it can have lapsed. */
  | { readonly kind: 'held'; readonly until: string; readonly retryAt: number }
  | { readonly kind: 'done'; readonly stored: Stored }
  | { readonly kind: 'ended'; readonly stored: Stored };

export async function claim(deps: ClaimDeps, runId: string, n: number, token: string, leaseMs: number, known: Stored | null = null): Promise<ClaimResult> {
  const now = await sharedNow(deps, `step ${n} not claimed`);
  const { decision: d, stored } = await decide(deps.ledger, runId, known, (run) => claimStep(run, n, token, now, leaseMs), (d) => (d.kind === 'claimed' ? d.run : null));
  if (d.kind === 'claimed') return { kind: 'claimed', stored, until: new Date(now + leaseMs).toISOString() };
  // The claim's remaining time, counted on the shared clock, added to this one: right whatever the offset between them.
  if (d.kind === 'held') return { kind: 'held', until: d.until, retryAt: deps.clock.now() + Math.max(0, Date.parse(d.until) - now) + 1 };
  return { kind: d.kind, stored };
}

/**
 * The claim extended by `leaseMs` (`renewed`), with `record` written on the step; or `lost`: it lapsed or passed to
 * another worker — do not act.
 */
export async function renew(deps: ClaimDeps, runId: string, n: number, token: string, leaseMs: number, known: Stored | null, record: Pick<RunStep, 'seenBefore'> = {}): Promise<{ readonly kind: 'renewed' | 'lost'; readonly stored: Stored; readonly until?: string }> {
  const now = await sharedNow(deps, `step ${n}: not acting`);
  let renewed = false;
  const stored = await advanceRun(deps.ledger, runId, known, (run) => {
    const next = renewClaim(run, n, token, now, leaseMs, record);
    renewed = next !== null;
    return next;
  });
  return renewed ? { kind: 'renewed', stored, until: new Date(now + leaseMs).toISOString() } : { kind: 'lost', stored };
}

/** Gives `token`'s claim back (its attempt failed and will be retried). Needs no clock: it is matched by token alone. */
export async function release(deps: Pick<ClaimDeps, 'ledger'>, runId: string, n: number, token: string, known: Stored | null): Promise<Stored> {
  return advanceRun(deps.ledger, runId, known, (run) => releaseClaim(run, n, token));
}

/** Records the end of `token`'s attempt (finishStep): only by the claim's holder, or when nobody holds the step. */
export async function finish(deps: ClaimDeps, runId: string, n: number, token: string, end: { readonly outcome: StepOutcome } | { readonly error: { code: string; message: string } }, known: Stored | null): Promise<{ readonly decision: FinishDecision; readonly stored: Stored }> {
  const now = await sharedNow(deps, `step ${n}: its end not recorded`);
  return decide(deps.ledger, runId, known, (run) => finishStep(run, n, token, end, now), (d) => (d.kind === 'finished' ? d.run : null));
}

/** The queue gave up on step n (giveUpStep): the run fails for an operator unless a worker holds a live claim on it. */
export async function giveUp(deps: Pick<ClaimDeps, 'ledger' | 'claimClock'>, runId: string, n: number, error: { code: string; message: string }, known: Stored | null): Promise<{ readonly decision: GiveUpDecision; readonly stored: Stored }> {
  const now = await sharedNow(deps, `step ${n}: not given up`);
  return decide(deps.ledger, runId, known, (run) => giveUpStep(run, n, error, now), (d) => (d.kind === 'failed' ? d.run : null));
}
