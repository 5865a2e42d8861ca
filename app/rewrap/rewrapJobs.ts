// Rewrap campaigns as queued jobs (DESIGN.md §2: the queue runs rotations and DEK rewraps). A job carries only the
// RewrapRequest (ids and kids: nothing secret, I8). Its progress is the campaign's counters; its result the
// campaign's summary. Redis is not the record of a campaign: the DEKs themselves are (a re-run redoes only what is
// still behind, and the retirement gate counts afresh) — so a lost job costs a re-run, never a wrong answer.
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
  get(id: string): Promise<RewrapStatus | null>;
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
  let summary: CampaignSummary;
  try {
    summary = await runCampaign(deps, request, protector, common, limits);
  } catch (err) {
    if (err instanceof CekAccessError) throw new CampaignStoppedError(err.message);
    throw err;
  }
  const stopped = summary.stopReason;
  if (stopped === 'access_denied' || stopped === 'key_not_found' || stopped === 'cosmos_denied') throw new CampaignStoppedError(`campaign stopped: ${stopped}`);
  if (!summary.complete) throw new Error(`campaign incomplete: ${summary.remaining ?? 'unknown'} still behind, ${summary.failures} failed`);
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
