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
  /**
   * Nothing was recorded; ask again later: the topology could not be checked (EstateUnverifiedError), or the shared
   * clock (Redis) that times the protector's lock could not be read.
   */
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

const resultOf = (run: RotationRun): StartResult => (run.status === 'refused' ? { kind: 'refused', run } : { kind: 'started', run });

export async function startRotation(deps: StartDeps, protectorId: string, options: StartOptions): Promise<StartResult> {
  if (options.runId !== undefined) {
    if (!isRotationId(options.runId)) throw new Error(`invalid rotation id ${options.runId}`);
    const recorded = await deps.ledger.get(options.runId);
    if (recorded) return resultOf(recorded.run);
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
  // Gives back the lock while no run of this id confirmed it: never frees a recorded run's lock (see releaseUnrecordedLock).
  const release = () => deps.ledger.releaseUnrecordedLock(protectorId, id).catch(() => undefined);
  // A derived id may be started twice at once (a redelivered ITSM job while the first attempt still runs): the lock is
  // then shared, and the run whichever attempt recorded stands. Read again now that the lock is held.
  const recordedMeanwhile = async (): Promise<RotationRun | null> => (options.runId !== undefined ? ((await deps.ledger.get(id))?.run ?? null) : null);
  let run: RotationRun;
  try {
    const early = await recordedMeanwhile();
    if (early) {
      // An ended run no longer needs the lock this attempt may just have taken afresh.
      if (early.status !== 'running') await release();
      return resultOf(early);
    }
    const plan = await planNow(deps, protectorId);
    if (!plan) {
      await release();
      return { kind: 'unknown-protector' };
    }
    run = newRun(plan, id, options.requestedBy, new Date(deps.clock.now()).toISOString(), options.origin);
  } catch (err) {
    await release();
    if (err instanceof EstateUnverifiedError) return { kind: 'unavailable', reason: err.message };
    throw err;
  }
  // However long planning took, the lock gets a new lease (by compare-and-set) before anything is recorded; a lock taken
  // over meanwhile as abandoned stays the taker's.
  const renewed = await renewLock(deps, protectorId, id);
  if (renewed === 'no-clock') {
    await release();
    return { kind: 'unavailable', reason: NO_SHARED_CLOCK };
  }
  if (renewed === 'lost') {
    const recorded = await recordedMeanwhile();
    return recorded ? resultOf(recorded) : { kind: 'busy', protector: protectorId };
  }
  if (run.status === 'refused') {
    let created: Awaited<ReturnType<typeof deps.ledger.create>>;
    try {
      created = await deps.ledger.create(run);
    } finally {
      await release();
    }
    const recorded = created.ok ? null : await recordedMeanwhile();
    return recorded ? resultOf(recorded) : { kind: 'refused', run };
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
    // Recorded after all (the answer was lost)? Then the run is confirmed by its preflight, once the sweep queues it.
    await release();
    throw err;
  }
  if (!created.ok) {
    // Only a derived id can collide: the same caller, racing itself. Its run stands, with the lock; this attempt adds nothing.
    const recorded = options.runId !== undefined ? await deps.ledger.get(run.id) : null;
    if (recorded) return resultOf(recorded.run);
    throw new Error(`rotation ${run.id} already exists`);
  }
  if (!(await deps.ledger.confirmLock(protectorId, run.id))) {
    // Taken over while this start was slow (its write outlasted the lease): the run is recorded but must never run beside
    // the new holder's. Should the withdrawal lose to a worker (the queue's reconcile ran it meanwhile), that worker's
    // preflight cannot take the lock either and stops the run (lock_not_held).
    const withdrawn = await deps.ledger.update(withdrawnRun(run, 'the protector lock was taken over as abandoned before this run was queued', new Date(deps.clock.now()).toISOString()), created.etag);
    deps.log.warn({ rotation: run.id, protector: protectorId, withdrawn: withdrawn.ok }, 'the protector lock was taken over before the rotation was queued; it is withdrawn');
    return { kind: 'busy', protector: protectorId };
  }
  try {
    await deps.queue.enqueue(run);
  } catch (err) {
    // Recorded and holding its lock: the ledger is the run's record of truth, and the sweep's reconcile queues a running
    // run whose jobs are missing (I6) once Redis answers. Failing it here could race a worker already running it.
    deps.log.error({ rotation: run.id, protector: protectorId, error: err instanceof Error ? err.message : String(err) }, 'rotation recorded but not queued; the queue sweep will queue it');
    return { kind: 'started', run };
  }
  deps.log.info({ rotation: run.id, protector: protectorId, requestedBy: options.requestedBy, steps: run.steps.length }, 'rotation queued');
  return { kind: 'started', run };
}

/**
 * A lock whose holder never recorded its run (the process died between taking the lock and writing the run) would keep
 * the protector "busy" for ever. Such a lock is taken over, by compare-and-set, once it is older than this by the shared
 * claim clock. Every step that could race a takeover is itself a compare-and-set on the lock's version: the starter
 * renews the lock before recording its run (renewLock), confirms it after (confirmLock), and the run's preflight step
 * confirms it again — so a starter that was taken over never has its run executed.
 */
export const ABANDONED_LOCK_MS = 30_000;

const NO_SHARED_CLOCK = 'the shared clock (Redis) is unreachable';

type Lock = { readonly kind: 'taken' } | { readonly kind: 'busy' } | { readonly kind: 'unavailable'; readonly reason: string };

/** A new lease for `runId`'s unconfirmed lock, by compare-and-set: 'lost' when the lock is no longer (only) this start's. */
async function renewLock(deps: StartDeps, protectorId: string, runId: string): Promise<'renewed' | 'lost' | 'no-clock'> {
  const now = await deps.claimClock.now().catch(() => null);
  if (now === null) return 'no-clock';
  const holder = await deps.ledger.lockHolder(protectorId);
  if (holder?.runId !== runId || holder.recorded) return 'lost';
  return (await deps.ledger.replaceLock(protectorId, holder, runId, now)) ? 'renewed' : 'lost';
}

/**
 * Takes the protector's lock for `runId`. A held lock is taken over only when it is provably abandoned: its run ended
 * (a crash between the run's last write and the lock's release), or its run was never recorded and the lock is older
 * than ABANDONED_LOCK_MS by the shared claim clock. A lock without a recorded time (written before times were kept)
 * whose run is missing is timed from when it is first seen. Without the claim clock (Redis, which the
 * queue needs anyway) no lock is taken: a lock without a time could never be told abandoned.
 */
async function takeLock(deps: StartDeps, protectorId: string, runId: string): Promise<Lock> {
  const takenAt = await deps.claimClock.now().catch(() => null);
  if (takenAt === null) return { kind: 'unavailable', reason: NO_SHARED_CLOCK };
  const taken: Lock = { kind: 'taken' };
  const busy: Lock = { kind: 'busy' };
  // True also when the lock already is `runId`'s: the same derived id asked again (its starter died, or is still running).
  if (await deps.ledger.acquireLock(protectorId, runId, takenAt)) return taken;
  const holder = await deps.ledger.lockHolder(protectorId);
  if (holder === null) return (await deps.ledger.acquireLock(protectorId, runId, takenAt)) ? taken : busy;
  const held = await deps.ledger.get(holder.runId);
  const abandoned = held !== null ? held.run.status !== 'running' : holder.takenAt !== null && takenAt - holder.takenAt > ABANDONED_LOCK_MS;
  if (!abandoned) {
    if (held === null && holder.takenAt === null) {
      // A lock from before locks were timed, its run never recorded: stamped with the time it was first seen (by
      // compare-and-set, keeping its holder), so that it can be told abandoned ABANDONED_LOCK_MS from now.
      deps.log.warn({ protector: protectorId, lockHolder: holder.runId }, 'the protector is locked by a run that was never recorded, without a time: timed from now');
      await deps.ledger.replaceLock(protectorId, holder, holder.runId, takenAt);
    }
    return busy;
  }
  deps.log.warn({ protector: protectorId, lockHolder: holder.runId, holderStatus: held?.run.status ?? 'never recorded' }, 'taking over an abandoned rotation lock');
  return (await deps.ledger.replaceLock(protectorId, holder, runId, takenAt)) ? taken : busy;
}
