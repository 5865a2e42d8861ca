// Redis is not the record of a request (DESIGN.md §2, I6): the ITSM timer makes sure every open request in Table
// Storage has a live job — one accepted while Redis was down, one whose job a flush or a failover lost, one whose job
// ran out of attempts — and carries the outbox. Bounded waits: with Redis still down this round queues nothing and
// the next one tries again; the outbox does not need Redis at all.
import type { Logger } from '../ports.js';
import { withTimeout } from '../timeout.js';
import { dispatchOutbox, type OutboxDeps, type OutboxResult } from './outbox.js';
import type { ItsmJobQueue, ItsmRequestStore } from './ports.js';

export interface ItsmTickDeps extends OutboxDeps {
  readonly store: ItsmRequestStore;
  readonly queue: ItsmJobQueue;
  readonly log: Logger;
  readonly queueTimeoutMs?: number;
}

export interface ItsmTickResult {
  readonly open: number;
  /** Requests whose job had to be queued again; null when the queue could not be reached this round. */
  readonly requeued: readonly string[] | null;
  readonly outbox: OutboxResult;
}

export async function itsmTick(deps: ItsmTickDeps): Promise<ItsmTickResult> {
  const open = await deps.store.listOpen();
  const requeued = await withTimeout(deps.queue.ensure(open.map((r) => r.id)), deps.queueTimeoutMs ?? 5000).catch((err: unknown) => {
    deps.log.warn({ open: open.length, error: err instanceof Error ? err.message : String(err) }, 'ITSM queue unreachable; open requests are queued when it is back');
    return null;
  });
  if (requeued && requeued.length > 0) deps.log.warn({ requests: requeued }, 'ITSM requests queued again: their jobs were missing from Redis');
  const outbox = await dispatchOutbox(deps);
  return { open: open.length, requeued, outbox };
}
