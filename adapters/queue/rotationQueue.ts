// BullMQ execution of rotation runs. A run is a flow: a chain in which each step's job is the parent of the
// previous step's job, so step n runs only after step n−1 completed, and every child fails its parent
// (failParentOnFailure: a failed secondary step fails the run before any primary step). Jobs carry only the
// run id and the step number (I8); job ids are `<runId>-s<n>` (never ':' or a plain integer), so enqueueing a run
// twice adds nothing. Steps are idempotent, so a stalled job re-run by another worker does nothing twice.
// Tracing: every step job carries the W3C traceparent of the span that queued the run (an id, I8-safe), and each
// execution is a `keysteward.rotation.step` span under it, so a run's steps form one trace whichever worker process
// runs them.
import { DelayedError, FlowProducer, Queue, UnrecoverableError, Worker, type FlowJob, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RotationQueue } from '../../app/rotation/ports.js';
import { abandonStep, executeStep, NonRetryableStepError, StepNotReadyError, type RotationDeps } from '../../app/rotation/executor.js';
import { stepJobId, type RotationRun } from '../../domain/rotation/run.js';
import { contextOf, currentTraceparent, inSpan, isTraceparent, recordStepDuration, SpanKind, type QueueDepth } from '../../app/telemetry.js';

export const ROTATION_QUEUE = 'keysteward-rotation';

export interface StepJobData {
  readonly runId: string;
  readonly n: number;
  /** The trace the run belongs to (W3C traceparent of the span that queued it); absent when tracing is off. */
  readonly traceparent?: string;
}

export interface QueueOptions {
  readonly connection: Redis;
  /** BullMQ key prefix, e.g. `keysteward:bull` (namespaced like every other key). */
  readonly prefix: string;
}

export interface ReconcilableQueue extends RotationQueue {
  /**
   * Redis is not the system of record (DESIGN.md §2, I6): a run the ledger says is running but whose remaining
   * step jobs are all gone from Redis (a flush, a failover that lost writes) is queued again from its first
   * unfinished step. Returns the run ids re-queued. Runs with any remaining job still present are left alone.
   */
  reconcile(running: readonly RotationRun[]): Promise<string[]>;
  /**
   * Steps of running runs that the queue gave up on (the job of their first step not done failed: out of attempts,
   * stalled too often, or with its chain): what abandonStep is asked again about, since a give-up deferred while a
   * worker held the step (or a worker that died before handling it) leaves the run running with nothing queued.
   */
  givenUp(running: readonly RotationRun[]): Promise<Array<{ readonly runId: string; readonly n: number; readonly reason: string }>>;
  /** Jobs waiting, active and delayed (the `keysteward.queue.depth` gauge). */
  depth(): Promise<QueueDepth[]>;
  close(): Promise<void>;
}

/** Completed step jobs kept in Redis (the most recent; about 110 runs of 9 steps). */
export const COMPLETED_JOBS_KEPT = 1000;

export function createRotationQueue(options: QueueOptions): ReconcilableQueue {
  const flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
  const queue = new Queue(ROTATION_QUEUE, { connection: options.connection, prefix: options.prefix });
  const enqueueSteps = async (run: RotationRun, fromN: number): Promise<void> => {
    // Build the chain from the last step down: the root job is the last step.
    let node: FlowJob | undefined;
    // The run's own trace first: a run re-queued by the reconciler (outside any span) continues the trace it began.
    const traceparent = isTraceparent(run.traceparent) ? run.traceparent : currentTraceparent();
    for (const step of run.steps.filter((s) => s.n >= fromN)) {
      const job: FlowJob = {
        name: step.kind,
        queueName: ROTATION_QUEUE,
        data: { runId: run.id, n: step.n, ...(traceparent ? { traceparent } : {}) } satisfies StepJobData,
        opts: {
          jobId: stepJobId(run.id, step.n),
          failParentOnFailure: true,
          attempts: 8,
          backoff: { type: 'exponential', delay: 1000 },
          // A run's record of truth is its ledger row in Table Storage; completed step jobs are only recent history.
          // The count keeps Redis bounded whatever the estate size and rotation period (≈2 KB a job).
          removeOnComplete: { age: 30 * 86_400, count: COMPLETED_JOBS_KEPT },
          removeOnFail: { age: 90 * 86_400 },
        },
        ...(node ? { children: [node] } : {}),
      };
      node = job;
    }
    if (node) await flows.add(node);
  };
  return {
    enqueue: (run: RotationRun) => enqueueSteps(run, 1),
    async reconcile(running) {
      const requeued: string[] = [];
      for (const run of running) {
        const remaining = run.steps.filter((s) => s.status !== 'done');
        const first = remaining[0];
        if (!first) continue;
        const present = await Promise.all(remaining.map((s) => queue.getJob(stepJobId(run.id, s.n))));
        if (present.some((j) => j !== undefined && j !== null)) continue;
        await enqueueSteps(run, first.n);
        requeued.push(run.id);
      }
      return requeued;
    },
    async givenUp(running) {
      const found: Array<{ runId: string; n: number; reason: string }> = [];
      for (const run of running) {
        // The first step not done is the one to look at: a chain fails from a child up to its parents, so when a later
        // job failed, this one did too (or it was done by a worker after its job failed, and the next one failed with it).
        const first = run.steps.find((s) => s.status !== 'done');
        if (!first) continue;
        const id = stepJobId(run.id, first.n);
        if ((await queue.getJobState(id)) !== 'failed') continue;
        found.push({ runId: run.id, n: first.n, reason: (await queue.getJob(id))?.failedReason ?? 'the queue gave up on the step' });
      }
      return found;
    },
    depth: () => queueDepth(queue),
    close: async () => {
      await flows.close();
      await queue.close();
    },
  };
}

/** A BullMQ queue's waiting, active and delayed job counts (one Redis round trip). */
export async function queueDepth(queue: Queue): Promise<QueueDepth[]> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
  return (['waiting', 'active', 'delayed'] as const).map((state) => ({ queue: queue.name, state, count: counts[state] ?? 0 }));
}

/** What one execution of a step came to, for its span and the duration histogram. */
function outcomeOf(result: unknown, err: unknown): string {
  if (err === undefined) return typeof result === 'string' ? result : 'done';
  if (err instanceof NonRetryableStepError) return 'failed';
  if (err instanceof StepNotReadyError) return 'not-ready';
  return 'error';
}

/**
 * One execution of a step job in a `keysteward.rotation.step` span, child of the run's trace (the job's traceparent),
 * and its duration. The executor annotates the span with the step's vault and member role.
 */
function tracedStep(job: Job<StepJobData>, run: () => Promise<unknown>): Promise<unknown> {
  const traceparent = isTraceparent(job.data.traceparent) ? job.data.traceparent : undefined;
  const attributes = {
    'keysteward.rotation.id': job.data.runId,
    'keysteward.step.n': job.data.n,
    'keysteward.step.kind': job.name,
    'keysteward.step.attempt': job.attemptsMade + 1,
    'messaging.system': 'bullmq',
    'messaging.destination.name': job.queueName,
  };
  return inSpan('keysteward.rotation.step', { kind: SpanKind.CONSUMER, attributes, ...(traceparent ? { parent: contextOf(traceparent) } : {}) }, async (span) => {
    const began = performance.now();
    let result: unknown;
    let error: unknown;
    try {
      result = await run();
      return result;
    } catch (err) {
      error = err;
      throw err;
    } finally {
      const outcome = outcomeOf(result, error);
      span.setAttribute('keysteward.step.outcome', outcome);
      recordStepDuration((performance.now() - began) / 1000, job.name, outcome);
    }
  });
}

export interface WorkerOptions extends QueueOptions {
  /** Step jobs this worker runs at once (ROTATION_CONCURRENCY; default 4). */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is re-run after about this long. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export function startRotationWorker(deps: RotationDeps, options: WorkerOptions): Worker<StepJobData> {
  const worker = new Worker<StepJobData>(
    ROTATION_QUEUE,
    async (job: Job<StepJobData>, token?: string) => {
      try {
        return await tracedStep(job, () => executeStep(deps, job.data.runId, job.data.n));
      } catch (err) {
        // The run is already marked failed-needs-operator: no retry, and the parent chain fails with it.
        if (err instanceof NonRetryableStepError) throw new UnrecoverableError(`${err.code}: ${err.message}`);
        // Another worker holds the step: come back when its claim lapses, without spending an attempt (a live,
        // slow step must not run the job out of attempts and fail the run under the worker still doing it).
        if (err instanceof StepNotReadyError && err.retryAt !== null && token) {
          await job.moveToDelayed(Math.max(err.retryAt, Date.now() + 250), token);
          throw new DelayedError();
        }
        if (err instanceof StepNotReadyError) throw err; // retried with backoff
        throw err instanceof Error ? err : new Error(String(err));
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    },
  );
  worker.on('failed', (job: Job<StepJobData> | undefined, err: Error) => {
    // An UnrecoverableError already failed the run; a job out of attempts has not yet.
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError') return;
    // Deferred (a worker still holds the step, or the claim clock is unreachable): the sweep's reconcile asks again.
    void abandonStep(deps, job.data.runId, job.data.n, err.message).then(
      (outcome) => {
        if (outcome.kind === 'deferred') deps.log.warn({ job: job.id, reason: outcome.reason }, 'rotation not failed yet; the queue reconcile checks it again');
      },
      (e: unknown) => deps.log.error({ job: job.id, error: e instanceof Error ? e.message : String(e) }, 'could not mark the rotation failed'),
    );
  });
  worker.on('stalled', (jobId: string) => deps.log.warn({ job: jobId }, 'rotation step stalled; it will run again (steps are idempotent)'));
  worker.on('error', (err: Error) => deps.log.error({ error: err.message }, 'rotation worker error'));
  return worker;
}
