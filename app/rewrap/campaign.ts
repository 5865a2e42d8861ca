// DEK rewrap campaign (DESIGN.md §1 Cosmos/AE, §7; reliability.md, S7): after a rotation, move every
// DEK of keysteward's store from an old version of a key to the new one, within a per-vault budget.
// - State is the store itself: a run scans the key's DEKs, skips those already on the new kid, rewraps those on the
//   old one (app/rewrap/rewrapDek.ts). A re-run after a crash or an abort redoes only what did not land.
// - Spending: one remote unwrap under the old version plus one verification unwrap under the new, weighed like the
//   vault weighs them (domain/rewrap/budget.ts), through a token bucket below the vault's ceiling; a 429 pauses the
//   vault for its Retry-After. The wrap is local (cached public key, K14).
// - `complete` only when a fresh scan, after all the work, finds zero DEKs on the old version: that count is
//   what the retirement gate may then rely on.
// - No plaintext or wrapped value appears in logs, errors or the summary (I8): ids, kids and counts only.
import { operationWeight } from '../../domain/rewrap/budget.js';
import { keyPrefixOf, parseVersionedKid, placeDek, withVersion, type VersionedKid } from '../../domain/rewrap/kid.js';
import type { BackoffPolicy } from '../../domain/rewrap/retry.js';
import { campaignControl } from './campaignControl.js';
import type { Clock, Logger } from '../ports.js';
import { DekSource } from './dekSource.js';
import type { DekRecord, DekStore, KeyWrapper, WrapAlgorithm, WrappingKey } from './ports.js';
import { CampaignAborted, remoteCall } from './remoteCall.js';
import { rewrapDek, safeDetail, type DekOutcome, type RewrapContext, type RewrapTarget } from './rewrapDek.js';
import { realSleep, TokenBucketBudget, type Sleep, type VaultBudget } from './vaultBudget.js';

export interface RewrapDeps {
  readonly store: DekStore;
  readonly wrapper: KeyWrapper;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sleep?: Sleep;
  /** Replaces the campaign's own bucket (e.g. one budget shared by every campaign on the vault). */
  readonly budget?: VaultBudget;
}

export interface RewrapCampaignOptions {
  /** Full kid of the new version: every rewrapped DEK ends up on it. */
  readonly toKid: string;
  /** The old version, as a full kid of the same key ... */
  readonly fromKid?: string;
  /** ... or as its version id. Exactly one of the two. */
  readonly fromVersion?: string;
  /** Budget units per second this campaign may spend on the vault (one unit = one software RSA-2048 operation). */
  readonly vaultBudgetPerSec: number;
  /** Largest burst, in units. Default: 20 ms worth of budget (at least 1). */
  readonly vaultBurst?: number;
  /** DEKs in flight at once. */
  readonly concurrency: number;
  /** Algorithm of the new wraps; default each DEK keeps its own. */
  readonly wrapAlg?: WrapAlgorithm;
  readonly signal?: AbortSignal;
  /** Rows per store page (default 1000). */
  readonly pageSize?: number;
  /** Retries of a 5xx/network failure per call (default 4, K11 backoff). */
  readonly maxTransientRetries?: number;
  /** How long one call may keep waiting out 429s before it counts as failed (default 15 min: R-10's storms pause, they do not fail). */
  readonly maxThrottledMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Called after each DEK with the counters so far. */
  readonly onProgress?: (progress: RewrapProgress) => void;
}

export interface RewrapProgress {
  readonly scanned: number;
  readonly rewrapped: number;
  readonly alreadyDone: number;
  /** DEKs of the same key on neither version (left alone). */
  readonly otherVersions: number;
  readonly conflicts: number;
  readonly corrupt: number;
  readonly failures: number;
  /** 429s answered (each was waited out, not failed). */
  readonly throttled: number;
  readonly unwraps: number;
}

export type StopReason = 'aborted' | 'access_denied' | 'key_not_found' | 'budget_unavailable';

export interface RewrapSummary extends RewrapProgress {
  readonly fromKid: string;
  readonly toKid: string;
  /** DEKs still on the old version by a fresh scan after the work; null when the campaign stopped before it. */
  readonly remaining: number | null;
  readonly complete: boolean;
  readonly stopReason: StopReason | null;
  readonly elapsedMs: number;
  /** Successful remote unwraps (old + verification) per second of the whole run. */
  readonly unwrapsPerSec: number;
  /** First ids (at most 100 each) of corrupt and failed DEKs, for an operator. */
  readonly corruptIds: readonly string[];
  readonly failedIds: readonly string[];
}

const MAX_IDS = 100;
const MAX_CONFLICT_RETRIES = 2;

function resolveKids(o: RewrapCampaignOptions): { from: VersionedKid; to: VersionedKid } {
  const to = parseVersionedKid(o.toKid);
  if (!to) throw new RangeError('toKid is not a versioned Key Vault key identifier');
  if ((o.fromKid === undefined) === (o.fromVersion === undefined)) throw new RangeError('give exactly one of fromKid and fromVersion');
  const from = o.fromKid !== undefined ? parseVersionedKid(o.fromKid) : withVersion(to, o.fromVersion ?? '');
  if (!from) throw new RangeError('the old version is not a versioned Key Vault key identifier');
  // A campaign moves DEKs between versions of ONE key: its scan is by the key's kid prefix.
  if (keyPrefixOf(from) !== keyPrefixOf(to)) throw new RangeError('fromKid and toKid must be versions of the same key in the same vault');
  if (from.kid === to.kid) throw new RangeError('the old and the new version are the same');
  return { from, to };
}

function checkOptions(o: RewrapCampaignOptions): void {
  if (!(o.vaultBudgetPerSec > 0) || !Number.isFinite(o.vaultBudgetPerSec)) throw new RangeError('vaultBudgetPerSec must be a positive number');
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
}

export async function runRewrapCampaign(deps: RewrapDeps, o: RewrapCampaignOptions): Promise<RewrapSummary> {
  const { from, to } = resolveKids(o);
  checkOptions(o);
  const startedAt = deps.clock.now();
  const sleep = deps.sleep ?? realSleep;
  const burst = o.vaultBurst ?? Math.max(1, Math.round(o.vaultBudgetPerSec / 50));
  const budget = deps.budget ?? new TokenBucketBudget({ ratePerSec: o.vaultBudgetPerSec, burst }, deps.clock, sleep);
  const counts = { scanned: 0, rewrapped: 0, alreadyDone: 0, otherVersions: 0, conflicts: 0, corrupt: 0, failures: 0, throttled: 0, unwraps: 0 };
  const corruptIds: string[] = [];
  const failedIds: string[] = [];
  let stopReason: StopReason | null = null;
  // Stops the work — new DEKs and calls in flight — on the caller's abort, on a failure every other DEK would hit
  // too, or on a store failure (after which the campaign throws, once every worker has stopped).
  const { stopper, remote, dispose } = campaignControl(o, budget, sleep, () => void (counts.throttled += 1));
  const summary = (remaining: number | null): RewrapSummary => {
    const elapsedMs = Math.max(0, deps.clock.now() - startedAt);
    return {
      fromKid: from.kid,
      toKid: to.kid,
      ...counts,
      remaining,
      complete: stopReason === null && remaining === 0,
      stopReason,
      elapsedMs,
      unwrapsPerSec: elapsedMs > 0 ? (counts.unwraps * 1000) / elapsedMs : 0,
      corruptIds,
      failedIds,
    };
  };

  deps.logger.info({ fromKid: from.kid, toKid: to.kid, vaultBudgetPerSec: o.vaultBudgetPerSec, burst, concurrency: o.concurrency }, 'rewrap campaign started');
  const run = async (): Promise<RewrapSummary> => {
    // The public keys: one GET each (weighed as the dearest 2048 op, their type being unknown until read).
    let fromKey: WrappingKey;
    let toKey: WrappingKey;
    try {
      toKey = await remoteCall(remote, to.vault, operationWeight(null, null), (s) => deps.wrapper.wrappingKey(to.kid, s));
      fromKey = await remoteCall(remote, from.vault, operationWeight(null, null), (s) => deps.wrapper.wrappingKey(from.kid, s));
    } catch (err) {
      if (err instanceof CampaignAborted) {
        stopReason = 'aborted';
        return summary(null);
      }
      throw err;
    }
    const target: RewrapTarget = {
      from: fromKey,
      to: toKey,
      weights: { unwrapOld: operationWeight(fromKey.kty, fromKey.sizeBits), verifyNew: operationWeight(toKey.kty, toKey.sizeBits) },
      wrapAlg: o.wrapAlg ?? null,
    };
    const ctx: RewrapContext = { store: deps.store, wrapper: deps.wrapper, remote, target, onUnwrap: () => void (counts.unwraps += 1) };

    const record = (row: DekRecord, outcome: DekOutcome): void => {
      switch (outcome.kind) {
        case 'rewrapped':
          counts.rewrapped += 1;
          break;
        case 'conflict':
          counts.conflicts += 1;
          break;
        case 'corrupt':
          counts.corrupt += 1;
          if (corruptIds.length < MAX_IDS) corruptIds.push(row.id);
          deps.logger.warn({ dekId: row.id, kid: row.kid, why: outcome.why }, 'DEK does not unwrap to its fingerprint: left as it is');
          break;
        case 'failed':
          counts.failures += 1;
          if (failedIds.length < MAX_IDS) failedIds.push(row.id);
          deps.logger.warn({ dekId: row.id, reason: outcome.reason, detail: outcome.detail }, 'DEK rewrap failed');
          // The key itself is unusable: every other DEK would fail the same way.
          // Or no call may go out at all (the shared budget is down): stop rather than fail DEK after DEK.
          if (outcome.reason === 'access_denied' || outcome.reason === 'key_not_found' || outcome.reason === 'budget_unavailable') {
            stopReason ??= outcome.reason;
            stopper.abort();
          }
          break;
        case 'aborted':
          break;
      }
      o.onProgress?.({ ...counts });
    };

    // Conflict: someone wrote the row since our read. Read it again; if it is still behind, redo it from that read.
    const rewrapWithRereads = async (row: DekRecord): Promise<DekOutcome> => {
      let current = row;
      for (let attempt = 0; ; attempt++) {
        const outcome = await rewrapDek(ctx, current);
        if (outcome.kind !== 'conflict' || attempt >= MAX_CONFLICT_RETRIES) return outcome;
        const fresh = await deps.store.get(row.id);
        if (!fresh || fresh.kid !== from.kid) return outcome;
        current = fresh;
      }
    };

    const source = new DekSource(deps.store, { kidPrefix: keyPrefixOf(to) }, o.pageSize ?? 1000, o.concurrency * 2);
    let storeFailure: { error: unknown } | null = null;
    const worker = async (): Promise<void> => {
      try {
        for (let row = await source.next(stopper.signal); row !== null; row = await source.next(stopper.signal)) {
          counts.scanned += 1;
          const place = placeDek(row.kid, from.kid, to.kid);
          if (place === 'done') counts.alreadyDone += 1;
          else if (place === 'other') counts.otherVersions += 1;
          else record(row, await rewrapWithRereads(row));
        }
      } catch (error) {
        storeFailure ??= { error };
        stopper.abort();
      }
    };
    // Every worker settles before the campaign returns or throws: none is left writing behind its back.
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    if (storeFailure !== null) throw (storeFailure as { error: unknown }).error;

    if (o.signal?.aborted) stopReason ??= 'aborted';
    if (stopReason !== null) return summary(null);
    // The fresh scan: the only evidence `complete` rests on.
    const remaining = [...(await deps.store.countByKid({ kidPrefix: from.kid })).values()].reduce((a, b) => a + b, 0);
    return summary(remaining);
  };
  try {
    const result = await run();
    const { corruptIds: _c, failedIds: _f, ...brief } = result;
    deps.logger.info(brief, 'rewrap campaign ended');
    return result;
  } catch (err) {
    deps.logger.error({ fromKid: from.kid, toKid: to.kid, error: safeDetail(err) }, 'rewrap campaign failed');
    throw err;
  } finally {
    dispose();
  }
}
