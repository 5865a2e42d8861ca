// Rewrap campaigns as queued jobs (DESIGN.md §2: the queue runs rotations and DEK rewraps). A job carries only the
// RewrapRequest (ids and kids: nothing secret, I8). Its progress is the campaign's counters; its result the
// campaign's summary. Redis is not the record of a campaign (I6): a campaign a caller was told is queued is written
// to the durable campaign ledger first, so a job that Redis lost (a flush, a failover) is queued again by the
// reconciler, and its outcome is still known when Redis forgot it. The DEKs themselves say what is done: a re-run
// redoes only what is still behind, and the retirement gate counts afresh.
import type { EstateSource } from '../estateSource.js';
import type { RewrapRequest } from '../../domain/rewrap/request.js';
import type { Clock, Logger } from '../ports.js';
import { runRewrapCampaign, type RewrapDeps, type RewrapProgress, type RewrapSummary } from './campaign.js';
import { runCekRewrapCampaign, type CekRewrapProgress, type CekRewrapSummary } from './cekCampaign.js';
import { CekAccessError, type CekCatalogs } from './cekPorts.js';
import type { Protector } from '../../domain/estate/model.js';
import type { DekStore, KeyWrapper } from './ports.js';
import type { VaultBudget } from './vaultBudget.js';

export type CampaignProgress = RewrapProgress | CekRewrapProgress;
export type CampaignSummary = RewrapSummary | CekRewrapSummary;

export type RewrapJobState = 'queued' | 'running' | 'completed' | 'failed';

export interface RewrapStatus {
  readonly request: RewrapRequest;
  readonly state: RewrapJobState;
  readonly progress: CampaignProgress | null;
  readonly summary: CampaignSummary | null;
  /** Why the last attempt failed (log-safe), null otherwise. */
  readonly error: string | null;
  readonly attempts: number;
}

export interface RewrapQueue {
  /** Queues the campaign unless the same one is queued or running (then its status is returned as it is). */
  enqueue(request: RewrapRequest): Promise<RewrapStatus>;
  /** What Redis knows of the campaign (null: nothing, e.g. after a flush). */
  get(id: string): Promise<RewrapStatus | null>;
}

/** How a campaign stands in the durable ledger: `open` from when it was asked for until it is known to have ended. */
export type CampaignRecordState = 'open' | 'completed' | 'failed';

export interface CampaignRecord {
  readonly request: RewrapRequest;
  readonly state: CampaignRecordState;
  readonly summary: CampaignSummary | null;
  readonly error: string | null;
  readonly updatedAt: string;
}

/** The durable record of every campaign a caller was told is queued (Table Storage in production). */
export interface CampaignLedger {
  /** Records the campaign as asked for (again, when an earlier run of it had ended). */
  open(request: RewrapRequest, nowIso: string): Promise<void>;
  /** Records how it ended. */
  close(id: string, outcome: { readonly state: 'completed' | 'failed'; readonly summary: CampaignSummary | null; readonly error: string | null }, nowIso: string): Promise<void>;
  get(id: string): Promise<CampaignRecord | null>;
  /** Campaigns asked for and not known to have ended. */
  listOpen(): Promise<CampaignRecord[]>;
}

function fromRecord(r: CampaignRecord): RewrapStatus {
  return { request: r.request, state: r.state === 'open' ? 'queued' : r.state, progress: null, summary: r.summary, error: r.error, attempts: 0 };
}

/** The campaign as the queue knows it, else as the ledger last recorded it (Redis lost it: the reconciler queues it again). */
export async function campaignStatus(deps: { readonly queue: RewrapQueue; readonly ledger: CampaignLedger }, id: string): Promise<RewrapStatus | null> {
  const live = await deps.queue.get(id);
  if (live) return live;
  const record = await deps.ledger.get(id);
  return record ? fromRecord(record) : null;
}

/**
 * Queues again every open campaign whose job Redis no longer has, and records the end of those whose job ended
 * while the ledger was not told (a worker that died between the two). Returns the ids queued again.
 */
export async function reconcileCampaigns(deps: { readonly queue: RewrapQueue; readonly ledger: CampaignLedger; readonly clock: Clock }): Promise<string[]> {
  const requeued: string[] = [];
  for (const record of await deps.ledger.listOpen()) {
    const live = await deps.queue.get(record.request.id);
    if (!live) {
      await deps.queue.enqueue(record.request);
      requeued.push(record.request.id);
    } else if (live.state === 'completed' || live.state === 'failed') {
      await deps.ledger.close(record.request.id, { state: live.state, summary: live.summary, error: live.error }, new Date(deps.clock.now()).toISOString());
    }
  }
  return requeued;
}

export interface RewrapJobDeps {
  readonly estates: EstateSource;
  readonly catalogs: CekCatalogs;
  readonly deks: DekStore;
  readonly wrapper: KeyWrapper;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly budget?: VaultBudget;
  readonly vaultBudgetPerSec: number;
  readonly concurrency: number;
  /** Told how each campaign ended (absent: nobody keeps a durable record, e.g. a one-off tool). */
  readonly ledger?: CampaignLedger;
}

/** The campaign stopped for a reason retrying cannot fix (access denied, key gone): the job must not be retried. */
export class CampaignStoppedError extends Error {
  override readonly name = 'CampaignStoppedError';
}

/** Runs one campaign to its end. Resolves only when complete; throws (for the queue to retry) when it is not. */
export async function runRewrapJob(deps: RewrapJobDeps, request: RewrapRequest, onProgress: (p: CampaignProgress) => void): Promise<CampaignSummary> {
  const protector = deps.estates.current().estate.protectors.find((p) => p.id === request.protector);
  if (!protector) throw new CampaignStoppedError(`protector ${request.protector} is no longer in the estate`);
  const common = { wrapper: deps.wrapper, clock: deps.clock, logger: deps.logger, ...(deps.budget ? { budget: deps.budget } : {}) };
  const limits = { vaultBudgetPerSec: deps.vaultBudgetPerSec, concurrency: deps.concurrency, onProgress };
  const now = (): string => new Date(deps.clock.now()).toISOString();
  let summary: CampaignSummary;
  try {
    summary = await runCampaign(deps, request, protector, common, limits);
  } catch (err) {
    if (err instanceof CekAccessError) {
      await deps.ledger?.close(request.id, { state: 'failed', summary: null, error: err.message.slice(0, 500) }, now());
      throw new CampaignStoppedError(err.message);
    }
    throw err;
  }
  const stopped = summary.stopReason;
  if (stopped === 'access_denied' || stopped === 'key_not_found' || stopped === 'cosmos_denied') {
    await deps.ledger?.close(request.id, { state: 'failed', summary, error: `campaign stopped: ${stopped}` }, now());
    throw new CampaignStoppedError(`campaign stopped: ${stopped}`);
  }
  if (!summary.complete) throw new Error(`campaign incomplete: ${summary.remaining ?? 'unknown'} still behind, ${summary.failures} failed`);
  await deps.ledger?.close(request.id, { state: 'completed', summary, error: null }, now());
  return summary;
}

async function runCampaign(
  deps: RewrapJobDeps,
  request: RewrapRequest,
  protector: Protector,
  common: Pick<RewrapDeps, 'wrapper' | 'clock' | 'logger' | 'budget'>,
  limits: { vaultBudgetPerSec: number; concurrency: number; onProgress: (p: CampaignProgress) => void },
): Promise<CampaignSummary> {
  if (request.store === 'cosmos-ceks') {
    const target = protector.alwaysEncrypted;
    if (!target) throw new CampaignStoppedError(`the estate names no alwaysEncrypted endpoint and databases for ${protector.id}`);
    return runCekRewrapCampaign(
      { ...common, catalog: deps.catalogs.open(target) },
      { ...limits, databases: target.databases, toKid: request.toKid, ...(request.fromKid ? { fromKid: request.fromKid } : {}) },
    );
  }
  if (!request.fromKid) throw new CampaignStoppedError('a DEK store campaign needs the version it moves away from');
  return runRewrapCampaign({ ...common, store: deps.deks }, { ...limits, toKid: request.toKid, fromKid: request.fromKid });
}
