// Asking for a rewrap campaign (API, CLI): validate it against the estate, then queue it — the same campaign when it
// is already queued or running (its id names protector, vault and versions).
import type { EstateSource } from '../estateSource.js';
import { buildRewrapRequest } from '../../domain/rewrap/request.js';
import type { RewrapQueue, RewrapStatus } from './rewrapJobs.js';

export interface RewrapArgs {
  readonly toVersion: string;
  readonly fromVersion?: string;
  readonly vault?: string;
}

export type StartRewrapResult =
  | { readonly kind: 'unknown-protector' | 'bad-request'; readonly error: string }
  | { readonly kind: 'queued'; readonly status: RewrapStatus };

export async function startRewrap(deps: { readonly estates: EstateSource; readonly queue: RewrapQueue; readonly vaultUrl: (vault: string) => string }, protectorId: string, args: RewrapArgs): Promise<StartRewrapResult> {
  const built = buildRewrapRequest(deps.estates.current().estate, protectorId, args, deps.vaultUrl);
  if (!built.ok) return { kind: built.kind, error: built.error };
  return { kind: 'queued', status: await deps.queue.enqueue(built.request) };
}
