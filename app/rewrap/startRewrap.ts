// Asking for a rewrap campaign (API, CLI): validate it against the estate, record it in the durable campaign ledger,
// then queue it — the same campaign when it is already queued or running (its id names protector, vault and
// versions). Recorded before it is queued, so an acknowledged campaign outlives Redis (I6).
import type { EstateSource } from '../estateSource.js';
import { buildRewrapRequest } from '../../domain/rewrap/request.js';
import type { Clock } from '../ports.js';
import type { CampaignLedger, RewrapQueue, RewrapStatus } from './rewrapJobs.js';

export interface RewrapArgs {
  readonly toVersion: string;
  readonly fromVersion?: string;
  readonly vault?: string;
}

export type StartRewrapResult =
  | { readonly kind: 'unknown-protector' | 'bad-request'; readonly error: string }
  | { readonly kind: 'queued'; readonly status: RewrapStatus };

export interface StartRewrapDeps {
  readonly estates: EstateSource;
  readonly queue: RewrapQueue;
  readonly ledger: CampaignLedger;
  readonly clock: Clock;
  readonly vaultUrl: (vault: string) => string;
}

export async function startRewrap(deps: StartRewrapDeps, protectorId: string, args: RewrapArgs): Promise<StartRewrapResult> {
  const built = buildRewrapRequest(deps.estates.current().estate, protectorId, args, deps.vaultUrl);
  if (!built.ok) return { kind: built.kind, error: built.error };
  await deps.ledger.open(built.request, new Date(deps.clock.now()).toISOString());
  return { kind: 'queued', status: await deps.queue.enqueue(built.request) };
}
