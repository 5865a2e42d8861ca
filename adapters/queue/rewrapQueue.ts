// BullMQ execution of rewrap campaigns (app/rewrap/rewrapJobs.ts). One job per campaign, its id the request's id
// (no ':', never a plain integer), its data the request (ids and kids only, I8). Asking for a campaign that is
// queued or running returns it; asking again once it has ended starts it again — a campaign is idempotent, and a
// second run after new DEKs landed on the old version is exactly what an operator wants.
// Progress is written at most once a second; a stalled job (its worker killed) is re-run by another worker, which
// re-scans and redoes only what is still behind.
import { queueDepth } from './rotationQueue.js';
import type { QueueDepth } from '../../app/telemetry.js';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CampaignStoppedError, runRewrapJob, type CampaignProgress, type CampaignSummary, type RewrapJobDeps, type RewrapJobState, type RewrapQueue, type RewrapStatus } from '../../app/rewrap/rewrapJobs.js';
import type { RewrapRequest } from '../../domain/rewrap/request.js';

export const REWRAP_QUEUE = 'keysteward-rewrap';

export interface RewrapQueueOptions {
  readonly connection: Redis;
  /** BullMQ key prefix, e.g. `keysteward:bull`. */
  readonly prefix: string;
}

const ATTEMPTS = 5;

function stateOf(bull: string): RewrapJobState {
  if (bull === 'completed') return 'completed';
  if (bull === 'failed') return 'failed';
  if (bull === 'active') return 'running';
  return 'queued';
}

/** `job` must have been read AFTER `bullState`: a job read before it completed has no return value yet. */
function statusOf(job: Job<RewrapRequest, CampaignSummary>, bullState: string): RewrapStatus {
  const state = stateOf(bullState);
  const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as CampaignProgress) : null;
  return {
    request: job.data,
    state,
    progress,
    summary: state === 'completed' ? (job.returnvalue ?? null) : null,
    error: job.failedReason ? job.failedReason.slice(0, 500) : null,
    attempts: job.attemptsMade,
  };
}

export function createRewrapQueue(o: RewrapQueueOptions): RewrapQueue & { depth(): Promise<QueueDepth[]>; close(): Promise<void> } {
  const queue = new Queue<RewrapRequest, CampaignSummary>(REWRAP_QUEUE, { connection: o.connection, prefix: o.prefix });
  const read = async (id: string): Promise<RewrapStatus | null> => {
    const state = await queue.getJobState(id);
    if (state === 'unknown') return null;
    const job = await queue.getJob(id);
    return job ? statusOf(job, state) : null;
  };
  return {
    async enqueue(request) {
      const current = await read(request.id);
      if (current && current.state !== 'completed' && current.state !== 'failed') return current;
      if (current) {
        try {
          await (await queue.getJob(request.id))?.remove();
        } catch {
          // Another request re-queued it between our read and the removal (it is locked now): that one is ours too.
          return (await read(request.id)) ?? current;
        }
      }
      const job = await queue.add('rewrap', request, {
        jobId: request.id,
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 30_000 },
        removeOnComplete: { age: 30 * 86_400 },
        removeOnFail: { age: 90 * 86_400 },
      });
      return statusOf(job, await job.getState());
    },
    get: read,
    depth: () => queueDepth(queue),
    close: () => queue.close(),
  };
}

export interface RewrapWorkerOptions extends RewrapQueueOptions {
  /** Campaigns run at once by this worker (each has its own concurrency and budget). */
  readonly concurrency?: number;
  readonly lockDurationMs?: number;
}

export function startRewrapWorker(deps: RewrapJobDeps, o: RewrapWorkerOptions): Worker<RewrapRequest, CampaignSummary> {
  const worker = new Worker<RewrapRequest, CampaignSummary>(
    REWRAP_QUEUE,
    async (job) => {
      let last = 0;
      const onProgress = (p: CampaignProgress): void => {
        const now = deps.clock.now();
        if (now - last < 1000) return;
        last = now;
        void job.updateProgress({ ...p }).catch(() => undefined);
      };
      try {
        const summary = await runRewrapJob(deps, job.data, onProgress);
        const { failedIds: _f, ...counters } = summary;
        await job.updateProgress(counters);
        return summary;
      } catch (err) {
        if (err instanceof CampaignStoppedError) throw new UnrecoverableError(err.message);
        throw err instanceof Error ? err : new Error(String(err));
      }
    },
    { connection: o.connection, prefix: o.prefix, concurrency: o.concurrency ?? 2, lockDuration: o.lockDurationMs ?? 60_000, maxStalledCount: 3 },
  );
  worker.on('failed', (job, err) => {
    deps.logger.warn({ job: job?.id, attempts: job?.attemptsMade, error: err.message }, 'rewrap campaign attempt failed');
    // Out of attempts (a stopped campaign recorded its own end): the ledger must say it failed, or it stays open.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError) && err.name !== 'UnrecoverableError') {
      void deps.ledger?.close(job.data.id, { state: 'failed', summary: null, error: err.message.slice(0, 500) }, new Date(deps.clock.now()).toISOString()).catch(() => undefined);
    }
  });
  worker.on('error', (err) => deps.logger.error({ error: err.message }, 'rewrap worker error'));
  return worker;
}
