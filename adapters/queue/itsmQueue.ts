// BullMQ execution of ITSM rotation requests (app/itsm/advance.ts). One job per request, its id the request's id
// (`itsm-<profile>-<hex>`: no ':', never a plain integer), its data the id alone (I8). The job lives as long as the
// request is open: each run advances the request as far as it can and, when it must wait (approval, the window,
// the rotation's progress), moves itself to delayed until then without spending an attempt. Redis is not the record:
// `ensure` re-creates the job of any open request that lost it (a flush, a failover, attempts run out).
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ItsmJobQueue } from '../../app/itsm/ports.js';
import type { AdvanceOutcome } from '../../app/itsm/advance.js';
import type { Logger } from '../../app/ports.js';

export const ITSM_QUEUE = 'keysteward-itsm';

export interface ItsmQueueOptions {
  readonly connection: Redis;
  readonly prefix: string;
}

interface ItsmJobData {
  readonly requestId: string;
}

const JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * 86_400 },
  removeOnFail: { age: 30 * 86_400 },
} as const;

function jobId(requestId: string): string {
  if (!/^itsm-[a-z0-9-]+$/.test(requestId)) throw new Error(`invalid ITSM request id ${requestId}`);
  return requestId;
}

export function createItsmQueue(o: ItsmQueueOptions): ItsmJobQueue & { depth(): Promise<number>; close(): Promise<void> } {
  const queue = new Queue<ItsmJobData>(ITSM_QUEUE, { connection: o.connection, prefix: o.prefix });
  const add = async (requestId: string): Promise<void> => {
    await queue.add('advance', { requestId }, { ...JOB_OPTIONS, jobId: jobId(requestId) });
  };
  return {
    enqueue: add,
    async ensure(requestIds) {
      const requeued: string[] = [];
      for (const id of requestIds) {
        const job = await queue.getJob(jobId(id));
        if (!job) {
          await add(id);
          requeued.push(id);
          continue;
        }
        const state = await job.getState();
        // An open request whose job ended (attempts run out, or completed before the request's last write): again.
        if (state === 'failed' || state === 'completed') {
          await job.remove().catch(() => undefined);
          await add(id);
          requeued.push(id);
        }
      }
      return requeued;
    },
    depth: async () => {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    close: () => queue.close(),
  };
}

export function startItsmWorker(advance: (requestId: string) => Promise<AdvanceOutcome>, log: Logger, o: ItsmQueueOptions & { readonly concurrency?: number }): Worker<ItsmJobData> {
  const worker = new Worker<ItsmJobData>(
    ITSM_QUEUE,
    async (job: Job<ItsmJobData>, token?: string) => {
      const outcome = await advance(job.data.requestId);
      if (outcome.kind === 'done') return outcome.state;
      if (!token) throw new Error('no job token to delay with');
      await job.moveToDelayed(Math.max(outcome.at, Date.now() + 100), token);
      throw new DelayedError();
    },
    { connection: o.connection, prefix: o.prefix, concurrency: o.concurrency ?? 8 },
  );
  worker.on('failed', (job: Job<ItsmJobData> | undefined, err: Error) => log.warn({ request: job?.data.requestId, attempts: job?.attemptsMade, error: err.message }, 'ITSM request step failed; it is retried'));
  worker.on('error', (err: Error) => log.error({ error: err.message }, 'ITSM worker error'));
  return worker;
}
