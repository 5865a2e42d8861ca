// Starting a rotation (on demand, by the schedule, or from an ITSM request): plan it against what is known now —
// live key versions from every member vault, vault posture and open incidents from the protector's state — and
// either refuse (preflight failures, as data), report the run already in progress, or record the run and queue it.
import { currentTraceparent, inSpan, SpanKind } from '../telemetry.js';
import { randomBytes } from 'node:crypto';
import { deriveProtector } from '../../domain/health/report.js';
import { buildProtectorView } from '../../domain/health/view.js';
import { withLiveInventory, type InventoryVersion } from '../../domain/estate/model.js';
import { buildRotationPlan, type RotationPlan } from '../../domain/rotation/plan.js';
import { isRotationId, newRun, rotationId, withdrawnRun, type RotationRun, type RunOrigin } from '../../domain/rotation/run.js';
import { EstateUnverifiedError } from '../estateSource.js';
import { loadState } from '../persist.js';
import type { StateStore } from '../ports.js';
import type { RotationDeps } from './executor.js';
import type { RotationQueue } from './ports.js';

export interface StartDeps extends RotationDeps {
  readonly state: StateStore;
  readonly queue: RotationQueue;
}

export type StartResult =
  | { readonly kind: 'unknown-protector' }
  | { readonly kind: 'dry-run'; readonly plan: RotationPlan }
  | { readonly kind: 'refused'; readonly run: RotationRun }
  | { readonly kind: 'busy'; readonly protector: string }
  /** The topology could not be checked (EstateUnverifiedError): ask again later; nothing was recorded. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'started'; readonly run: RotationRun };

export async function planNow(deps: StartDeps, protectorId: string): Promise<RotationPlan | null> {
  // Fresh, not merely current: a plan orders secondaries before the primary, so it must see the latest failover.
  const inUse = (await deps.estates.fresh()).estate;
  const protector = inUse.protectors.find((p) => p.id === protectorId);
  if (!protector) return null;
  const now = deps.clock.now();
  const live = new Map<string, readonly InventoryVersion[]>();
  for (const vault of new Set(protector.members.map((m) => m.vault))) live.set(vault, await deps.keys.listVersions(vault, protector.keyName));
  const estate = withLiveInventory(inUse, protector.keyName, live);
  const state = await loadState(deps.state, protector);
  const view = buildProtectorView(estate, state, now);
  const { incidents } = deriveProtector(estate, state, now);
  const vaultProperties = new Map([...view.vaults].map(([name, v]) => [name, v.properties]));
  const result = buildRotationPlan({ estate, protectorId, now, observed: { vaultProperties, openIncidents: incidents } });
  return result.ok ? result.plan : null;
}

function unverified(err: unknown): EstateUnverifiedError {
  if (err instanceof EstateUnverifiedError) return err;
  throw err;
}

export interface StartOptions {
  readonly requestedBy: string;
  readonly dryRun?: boolean;
  /**
   * The run's id, when the caller derives it (an ITSM request): asked again with the same id — a worker re-running
   * its step after a crash — the run already recorded is returned, never a second one started (I1).
   */
  readonly runId?: string;
  readonly origin?: RunOrigin;
}

export async function startRotation(deps: StartDeps, protectorId: string, options: StartOptions): Promise<StartResult> {
  if (options.runId !== undefined) {
    if (!isRotationId(options.runId)) throw new Error(`invalid rotation id ${options.runId}`);
    const recorded = await deps.ledger.get(options.runId);
    if (recorded) return recorded.run.status === 'refused' ? { kind: 'refused', run: recorded.run } : { kind: 'started', run: recorded.run };
  }
  if (!deps.estates.current().estate.protectors.some((p) => p.id === protectorId)) return { kind: 'unknown-protector' };
  if (options.dryRun) {
    const plan = await planNow(deps, protectorId).catch(unverified);
    if (plan instanceof EstateUnverifiedError) return { kind: 'unavailable', reason: plan.message };
    return plan ? { kind: 'dry-run', plan } : { kind: 'unknown-protector' };
  }
  const id = options.runId ?? rotationId(protectorId, deps.clock.now(), randomBytes(4).toString('hex'));
  // The lock before the plan: while another rotation of the protector runs, its half-imported versions would fail this
  // plan's geo-consistency check — that request must wait (busy), not be refused for the other run's work in progress.
  const lock = await takeLock(deps, protectorId, id);
  if (lock.kind === 'busy') return { kind: 'busy', protector: protectorId };
  if (lock.kind === 'unavailable') return lock;
  const release = () => deps.ledger.releaseLock(protectorId, id).catch(() => undefined);
  let run: RotationRun;
  try {
    const plan = await planNow(deps, protectorId);
    if (!plan) {
      await release();
      return { kind: 'unknown-protector' };
    }
    run = newRun(plan, id, options.requestedBy, new Date(deps.clock.now()).toISOString(), options.origin);
    if (!(await withinLease(deps, lock.takenAt))) {
      await release();
      return { kind: 'unavailable', reason: 'planning outlasted the protector lock\'s lease; ask again' };
    }
  } catch (err) {
    await release();
    if (err instanceof EstateUnverifiedError) return { kind: 'unavailable', reason: err.message };
    throw err;
  }
  if (run.status === 'refused') {
    try {
      await deps.ledger.create(run);
    } finally {
      await release();
    }
    return { kind: 'refused', run };
  }
  // The root span of the run's trace, from its record to its queueing. The run keeps the span's traceparent (an id) and
  // the queue carries it in every step job — also when the reconciler re-queues the run after Redis lost its jobs — so
  // the steps, run later by any worker process, are its children.
  const attributes = { 'keysteward.rotation.id': run.id, 'keysteward.protector': protectorId, 'keysteward.rotation.strategy': run.strategy, 'keysteward.rotation.steps': run.steps.length };
  return inSpan('keysteward.rotation.run', { kind: SpanKind.PRODUCER, attributes }, () => {
    const traceparent = currentTraceparent();
    return recordAndQueue(deps, traceparent ? { ...run, traceparent } : run, options, release);
  });
}

/** Records a run that may go ahead, confirms the protector's lock and queues the run's steps. */
async function recordAndQueue(deps: StartDeps, run: RotationRun, options: StartOptions, release: () => Promise<unknown>): Promise<StartResult> {
  const protectorId = run.protector;
  let created: Awaited<ReturnType<typeof deps.ledger.create>>;
  try {
    created = await deps.ledger.create(run);
  } catch (err) {
    await release();
    throw err;
  }
  if (!created.ok) {
    // Only a derived id can collide: the same caller, racing itself. Its run stands; this attempt adds nothing.
    const recorded = options.runId !== undefined ? await deps.ledger.get(run.id) : null;
    if (recorded) return { kind: 'started', run: recorded.run };
    await deps.ledger.releaseLock(protectorId, run.id);
    throw new Error(`rotation ${run.id} already exists`);
  }
  if (!(await deps.ledger.confirmLock(protectorId, run.id))) {
    // Taken over while this start was slow: the run is recorded but must never run beside the new holder's.
    deps.log.warn({ rotation: run.id, protector: protectorId }, 'the protector lock was taken over before the rotation was queued; it is withdrawn');
    await deps.ledger.update(withdrawnRun(run, 'the protector lock was taken over as abandoned before this run was queued', new Date(deps.clock.now()).toISOString()), created.etag);
    return { kind: 'busy', protector: protectorId };
  }
  try {
    await deps.queue.enqueue(run);
  } catch (err) {
    // Not queued: do not leave a "running" run holding the protector's lock with nothing to run it.
    const reason = err instanceof Error ? err.message : String(err);
    const stored = await deps.ledger.get(run.id);
    if (stored) await deps.ledger.update({ ...stored.run, status: 'failed-needs-operator', updatedAt: new Date(deps.clock.now()).toISOString() }, stored.etag);
    await deps.ledger.releaseLock(protectorId, run.id);
    deps.log.error({ rotation: run.id, protector: protectorId, error: reason }, 'rotation could not be queued');
    throw err;
  }
  deps.log.info({ rotation: run.id, protector: protectorId, requestedBy: options.requestedBy, steps: run.steps.length }, 'rotation queued');
  return { kind: 'started', run };
}

/**
 * A lock whose holder never recorded its run (the process died between taking the lock and writing the run) would keep
 * the protector "busy" for ever. Such a lock is taken over, by compare-and-set, once it is older than this by the shared
 * claim clock. A starter records nothing once its lock is older than half this (withinLease), and confirms the lock
 * after recording its run (confirmLock), so a slow starter that is taken over never queues its run.
 */
export const ABANDONED_LOCK_MS = 30_000;

type Lock = { readonly kind: 'taken'; readonly takenAt: number } | { readonly kind: 'busy' } | { readonly kind: 'unavailable'; readonly reason: string };

async function withinLease(deps: StartDeps, takenAt: number): Promise<boolean> {
  const now = await deps.claimClock.now().catch(() => null);
  return now !== null && now - takenAt < ABANDONED_LOCK_MS / 2;
}

/**
 * Takes the protector's lock for `runId`. A held lock is taken over only when it is provably abandoned: its run ended
 * (a crash between the run's last write and the lock's release), or its run was never recorded and the lock is older
 * than ABANDONED_LOCK_MS by the shared claim clock. A lock without a recorded time (written before times were kept)
 * whose run is missing is left alone and named in the log for an operator. Without the claim clock (Redis, which the
 * queue needs anyway) no lock is taken: a lock without a time could never be told abandoned.
 */
async function takeLock(deps: StartDeps, protectorId: string, runId: string): Promise<Lock> {
  const takenAt = await deps.claimClock.now().catch(() => null);
  if (takenAt === null) return { kind: 'unavailable', reason: 'the shared clock (Redis) is unreachable' };
  const taken: Lock = { kind: 'taken', takenAt };
  const busy: Lock = { kind: 'busy' };
  if (await deps.ledger.acquireLock(protectorId, runId, takenAt)) {
    const holder = await deps.ledger.lockHolder(protectorId);
    // Already ours: the same derived id asked again after its starter died. The lease starts again from now.
    if (holder?.runId === runId && holder.takenAt !== takenAt) return (await deps.ledger.replaceLock(protectorId, holder, runId, takenAt)) ? taken : busy;
    return holder?.runId === runId ? taken : busy;
  }
  const holder = await deps.ledger.lockHolder(protectorId);
  if (holder === null) return (await deps.ledger.acquireLock(protectorId, runId, takenAt)) ? taken : busy;
  const held = await deps.ledger.get(holder.runId);
  const abandoned = held !== null ? held.run.status !== 'running' : holder.takenAt !== null && takenAt - holder.takenAt > ABANDONED_LOCK_MS;
  if (!abandoned) {
    if (held === null && holder.takenAt === null) deps.log.warn({ protector: protectorId, lockHolder: holder.runId }, 'the protector is locked by a run that was never recorded; release the lock by hand if no rotation is starting');
    return busy;
  }
  deps.log.warn({ protector: protectorId, lockHolder: holder.runId, holderStatus: held?.run.status ?? 'never recorded' }, 'taking over an abandoned rotation lock');
  return (await deps.ledger.replaceLock(protectorId, holder, runId, takenAt)) ? taken : busy;
}
