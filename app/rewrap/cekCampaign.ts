// Cosmos DB Always Encrypted rewrap campaign (DESIGN.md §1 Cosmos; reliability.md; I3, I8): after
// the protector's key gets a new version, move every client encryption key (CEK) of the configured databases that is
// wrapped by an older version of that key onto the new one, with @azure/cosmos's rewrapClientEncryptionKey.
// - Per CEK the SDK reads it, asks us to unwrap it (one remote unwrap under its version, within the vault budget),
//   asks us to wrap it for the new version (local wrap with the cached public key, K14), and replaces it If-Match.
//   Our wrap returns a value only after a verification unwrap under the new version gave back the same bytes, so
//   Cosmos never receives a wrap the vault has not been seen to open (a wrong key or algorithm cannot destroy a CEK).
// - State is Cosmos itself: a re-run after a crash re-lists and moves only what is still behind. A CEK that changed
//   under us (412, or moved by someone else) is judged again from a fresh listing, twice at most.
// - `complete` only when a fresh listing after the work finds no CEK behind: the retirement gate's evidence.
// - Plaintext lives in buffers we zero once the SDK is done with them; @azure/cosmos makes two short-lived copies of
//   its own that we cannot reach (they go with the garbage collector). Nothing but ids, kids and counts is logged.
import { timingSafeEqual } from 'node:crypto';
import { operationWeight } from '../../domain/rewrap/budget.js';
import { placeCek } from '../../domain/rewrap/cekPlacement.js';
import { parseVersionedKid, type VersionedKid } from '../../domain/rewrap/kid.js';
import type { Clock, Logger } from '../ports.js';
import { campaignControl, type ControlOptions } from './campaignControl.js';
import { CekAccessError, type CekCatalog, type CekKeyOps, type CekRecord } from './cekPorts.js';
import { KeyOperationError, type KeyWrapper, type WrappingKey } from './ports.js';
import { CampaignAborted, remoteCall, type RemoteCallPolicy } from './remoteCall.js';
import { safeDetail } from './rewrapDek.js';
import { BudgetUnavailableError, realSleep, TokenBucketBudget, type Sleep, type VaultBudget } from './vaultBudget.js';

export interface CekRewrapDeps {
  readonly catalog: CekCatalog;
  readonly wrapper: KeyWrapper;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sleep?: Sleep;
  /** A budget shared with other campaigns on the vault; default a bucket of this campaign's own. */
  readonly budget?: VaultBudget;
}

export interface CekRewrapOptions extends ControlOptions {
  readonly databases: readonly string[];
  /** Full kid of the new version. */
  readonly toKid: string;
  /** Move only CEKs on this version; default: every other version of the same key. */
  readonly fromKid?: string;
  /** Budget units per second on the vault (one unit = one software RSA-2048 operation). */
  readonly vaultBudgetPerSec: number;
  readonly vaultBurst?: number;
  readonly onProgress?: (p: CekRewrapProgress) => void;
}

export interface CekRewrapProgress {
  readonly scanned: number;
  readonly behind: number;
  readonly rewrapped: number;
  readonly alreadyDone: number;
  /** CEKs wrapped by another key (or a version the campaign does not move): left alone. */
  readonly otherKeys: number;
  /** CEKs naming this key without a version: they block completion (and retirement), and are never touched. */
  readonly versionless: number;
  /** CEKs whose kid names no key at all: reported, never touched. */
  readonly unparsed: number;
  readonly conflicts: number;
  /** Deleted between the listing and the rewrap. */
  readonly gone: number;
  readonly failures: number;
  readonly throttled: number;
  readonly unwraps: number;
}

export type CekStopReason = 'aborted' | 'access_denied' | 'key_not_found' | 'budget_unavailable' | 'cosmos_denied';

export interface CekRewrapSummary extends CekRewrapProgress {
  readonly toKid: string;
  readonly fromKid: string | null;
  /** CEKs still behind (or versionless) by a fresh listing after the work; null when the campaign stopped before it. */
  readonly remaining: number | null;
  readonly complete: boolean;
  readonly stopReason: CekStopReason | null;
  readonly elapsedMs: number;
  /** `<database>/<id>` of failed CEKs (at most 100). */
  readonly failedIds: readonly string[];
}

/** The verification unwrap of the new value did not give back the CEK: nothing was written. */
export class RewrapVerificationError extends Error {
  override readonly name = 'RewrapVerificationError';
}

const MAX_IDS = 100;
const PASSES = 3;
const ALG = 'RSA-OAEP';

function parseTargets(o: CekRewrapOptions): { to: VersionedKid; from: VersionedKid | null } {
  const to = parseVersionedKid(o.toKid);
  if (!to) throw new RangeError('toKid is not a versioned Key Vault key identifier');
  const from = o.fromKid === undefined ? null : parseVersionedKid(o.fromKid);
  if (o.fromKid !== undefined && !from) throw new RangeError('fromKid is not a versioned Key Vault key identifier');
  if (from && (from.vault !== to.vault || from.key !== to.key)) throw new RangeError('fromKid and toKid must be versions of the same key in the same vault');
  if (from && from.version === to.version) throw new RangeError('the old and the new version are the same');
  if (o.databases.length === 0) throw new RangeError('no database to scan');
  if (!(o.vaultBudgetPerSec > 0) || !Number.isFinite(o.vaultBudgetPerSec)) throw new RangeError('vaultBudgetPerSec must be a positive number');
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  return { to, from };
}

/**
 * Every CEK of the account, by a full listing: the estate's databases and every database the account holds now
 * (one created after the estate was written still holds CEKs under the key).
 */
export async function listAllCeks(catalog: CekCatalog, estateDatabases: readonly string[]): Promise<CekRecord[]> {
  const out: CekRecord[] = [];
  for (const db of new Set([...estateDatabases, ...(await catalog.listDatabases())])) {
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page = await catalog.list(db, token);
      out.push(...page.items);
      token = page.next ?? undefined;
      // A service handing back a continuation it already gave would loop forever.
      if (token !== undefined && seen.has(token)) throw new Error(`the client encryption key feed of database ${db} repeats a continuation`);
      if (token !== undefined) seen.add(token);
    } while (token !== undefined);
  }
  return out;
}

export async function runCekRewrapCampaign(deps: CekRewrapDeps, o: CekRewrapOptions): Promise<CekRewrapSummary> {
  const { to, from } = parseTargets(o);
  const startedAt = deps.clock.now();
  const sleep = deps.sleep ?? realSleep;
  const burst = o.vaultBurst ?? Math.max(1, Math.round(o.vaultBudgetPerSec / 50));
  const budget = deps.budget ?? new TokenBucketBudget({ ratePerSec: o.vaultBudgetPerSec, burst }, deps.clock, sleep);
  const counts = { scanned: 0, behind: 0, rewrapped: 0, alreadyDone: 0, otherKeys: 0, versionless: 0, unparsed: 0, conflicts: 0, gone: 0, failures: 0, throttled: 0, unwraps: 0 };
  const failedIds: string[] = [];
  let stopReason: CekStopReason | null = null;
  const { stopper, remote, dispose } = campaignControl(o, budget, sleep, () => void (counts.throttled += 1));

  const summary = (remaining: number | null): CekRewrapSummary => ({
    toKid: to.kid,
    fromKid: from?.kid ?? null,
    ...counts,
    remaining,
    complete: stopReason === null && remaining === 0,
    stopReason,
    elapsedMs: Math.max(0, deps.clock.now() - startedAt),
    failedIds,
  });
  const stop = (reason: CekStopReason): void => {
    stopReason ??= reason;
    stopper.abort();
  };
  const behindOf = (all: readonly CekRecord[]): CekRecord[] => all.filter((c) => placeCek(c.kekKid, to, from) === 'behind');
  const versionlessIn = (all: readonly CekRecord[]): number => all.filter((c) => placeCek(c.kekKid, to, from) === 'versionless').length;

  deps.logger.info({ toKid: to.kid, fromKid: from?.kid ?? null, databases: o.databases, vaultBudgetPerSec: o.vaultBudgetPerSec }, 'CEK rewrap campaign started');
  try {
    let toKey: WrappingKey;
    try {
      toKey = await remoteCall(remote, to.vault, operationWeight(null, null), (s) => deps.wrapper.wrappingKey(to.kid, s));
    } catch (err) {
      if (err instanceof CampaignAborted) return summary(null);
      throw err;
    }
    const ops = keyOps(deps.wrapper, remote, toKey, () => void (counts.unwraps += 1));

    const rewrapOne = async (cek: CekRecord): Promise<void> => {
      const held: Uint8Array[] = [];
      try {
        const r = await deps.catalog.rewrap(cek.database, cek.id, cek.kekKid, { kekKid: to.kid, kekName: cek.kekName }, ops.forCek(held));
        if (r === 'ok') counts.rewrapped += 1;
        else if (r === 'conflict') counts.conflicts += 1;
        else counts.gone += 1;
      } catch (err) {
        if (err instanceof CampaignAborted || stopper.signal.aborted) return;
        counts.failures += 1;
        if (failedIds.length < MAX_IDS) failedIds.push(`${cek.database}/${cek.id}`);
        deps.logger.warn({ database: cek.database, cek: cek.id, error: safeDetail(err) }, 'CEK rewrap failed');
        // The key itself is unusable: every other CEK would fail the same way.
        if (err instanceof KeyOperationError && err.kind === 'denied') stop('access_denied');
        if (err instanceof KeyOperationError && err.kind === 'not_found') stop('key_not_found');
        if (err instanceof BudgetUnavailableError) stop('budget_unavailable');
        // Cosmos refuses us (e.g. Entra ID writes, a revoked key): every other CEK would be refused too.
        if (err instanceof CekAccessError) stop('cosmos_denied');
      } finally {
        for (const b of held) b.fill(0);
        o.onProgress?.({ ...counts });
      }
    };

    let all = await listAllCeks(deps.catalog, o.databases);
    for (const c of all) {
      counts.scanned += 1;
      const place = placeCek(c.kekKid, to, from);
      if (place === 'done') counts.alreadyDone += 1;
      else if (place === 'other') counts.otherKeys += 1;
      else if (place === 'versionless') counts.versionless += 1;
      else if (place === 'unparsed') counts.unparsed += 1;
      else counts.behind += 1;
    }
    if (counts.unparsed > 0) deps.logger.warn({ count: counts.unparsed }, 'client encryption keys whose kid names no key were left alone');
    if (counts.versionless > 0) deps.logger.warn({ count: counts.versionless }, 'client encryption keys name this key without a version: they cannot be rewrapped safely and block completion');
    // Each pass works what the latest listing shows behind; a conflict leaves a CEK for the next pass to judge.
    let work = behindOf(all);
    for (let pass = 0; pass < PASSES && work.length > 0 && !stopper.signal.aborted; pass++) {
      let at = 0;
      const worker = async (): Promise<void> => {
        while (!stopper.signal.aborted && at < work.length) await rewrapOne(work[at++] as CekRecord);
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, work.length) }, worker));
      if (stopper.signal.aborted) break;
      all = await listAllCeks(deps.catalog, o.databases);
      work = behindOf(all);
    }
    if (o.signal?.aborted) stopReason ??= 'aborted';
    if (stopReason !== null) return summary(null);
    return summary(work.length + versionlessIn(all));
  } finally {
    dispose();
    deps.logger.info({ toKid: to.kid, ...counts, stopReason }, 'CEK rewrap campaign ended');
  }
}

/**
 * The Key Vault half of a rewrap, as the Cosmos SDK calls it. `held` collects the buffers this campaign owns so
 * the caller zeroes them after the SDK's replace (the unwrapped CEK is needed until the wrap).
 */
function keyOps(wrapper: KeyWrapper, remote: RemoteCallPolicy, toKey: WrappingKey, onUnwrap: () => void) {
  // One public-key read per old version (the wrapper caches the key; this caches its budget weight too).
  const weights = new Map<string, Promise<number>>();
  const weightOf = (kid: string, vault: string): Promise<number> => {
    let w = weights.get(kid);
    if (!w) {
      w = remoteCall(remote, vault, operationWeight(null, null), (s) => wrapper.wrappingKey(kid, s)).then((key) => operationWeight(key.kty, key.sizeBits));
      // A failed read is not remembered: the next CEK tries again.
      w.catch(() => weights.delete(kid));
      weights.set(kid, w);
    }
    return w;
  };
  const toWeight = operationWeight(toKey.kty, toKey.sizeBits);
  return {
    forCek(held: Uint8Array[]): CekKeyOps {
      return {
        async unwrap(kekKid, wrapped) {
          // At keysteward's own URL for the vault, never the host the CEK names (it is data another party wrote).
          const named = parseVersionedKid(kekKid);
          if (!named) throw new RangeError('the client encryption key names no key version');
          const kid = `${toKey.kid.slice(0, toKey.kid.indexOf('/keys/'))}/keys/${named.key}/${named.version}`;
          const vault = named.vault;
          const plaintext = await remoteCall(remote, vault, await weightOf(kid, vault), (s) => wrapper.unwrap(kid, ALG, wrapped, s));
          onUnwrap();
          held.push(plaintext);
          return plaintext;
        },
        async wrap(_kekKid, plaintext) {
          // `plaintext` is the SDK's own copy made for this call: ours to zero.
          held.push(plaintext);
          const wrapped = wrapper.wrapLocally(toKey, ALG, plaintext);
          const check = await remoteCall(remote, toKey.vault, toWeight, (s) => wrapper.unwrap(toKey.kid, ALG, wrapped, s));
          onUnwrap();
          try {
            if (check.length !== plaintext.length || !timingSafeEqual(check, plaintext)) throw new RewrapVerificationError('the new wrapped value does not unwrap to the client encryption key');
          } finally {
            check.fill(0);
          }
          return wrapped;
        },
      };
    },
  };
}
