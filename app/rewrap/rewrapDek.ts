// One DEK moved from the old key version to the new (reliability.md R-9, K2, K3):
//   unwrap remotely under the old kid → SHA-256 of the plaintext must equal the stored fingerprint (else the row is
//   corrupt and is never overwritten) → wrap locally with the new public key → verification unwrap of the NEW value
//   remotely, checked against the same fingerprint → compare-and-set, expecting the old kid and the ETag read.
// Verification comes BEFORE the write, deliberately: the store never holds a value the vault has not been seen to
// unwrap back to the DEK, so a wrong public key or algorithm cannot turn a readable DEK into an unreadable one, and
// the value written is byte for byte the one verified. A crash anywhere before the write leaves the row on the old
// kid (still readable); the re-run redoes it. The write itself lands at most once per read (ETag).
// The plaintext lives only in Buffers zeroed in `finally`, and nothing about it but its hash ever leaves (I8).
import { createHash } from 'node:crypto';
import { isWrapAlgorithm, type WrapAlgorithm } from '../../domain/rewrap/fingerprint.js';
import { CampaignAborted, remoteCall, type RemoteCallPolicy } from './remoteCall.js';
import { BudgetUnavailableError } from './vaultBudget.js';
import { KeyOperationError, type DekRecord, type DekStore, type KeyWrapper, type WrappingKey } from './ports.js';

export interface RewrapTarget {
  readonly from: WrappingKey;
  readonly to: WrappingKey;
  /** Budget units of one unwrap under each version. */
  readonly weights: { readonly unwrapOld: number; readonly verifyNew: number };
  /** Algorithm of the new wrap; null keeps each DEK's own. */
  readonly wrapAlg: WrapAlgorithm | null;
}

export type FailureReason = 'unsupported_alg' | 'unwrap_failed' | 'verify_failed' | 'verify_mismatch' | 'write_failed' | 'access_denied' | 'key_not_found' | 'budget_unavailable';

export type DekOutcome =
  | { readonly kind: 'rewrapped' }
  /** The row changed under us (another writer); a fresh read will tell. */
  | { readonly kind: 'conflict' }
  | { readonly kind: 'corrupt'; readonly why: 'fingerprint_mismatch' | 'unwrap_rejected' }
  | { readonly kind: 'failed'; readonly reason: FailureReason; readonly detail: string }
  | { readonly kind: 'aborted' };

export interface RewrapContext {
  readonly store: DekStore;
  readonly wrapper: KeyWrapper;
  readonly remote: RemoteCallPolicy;
  readonly target: RewrapTarget;
  /** Counts successful remote unwraps. */
  readonly onUnwrap: () => void;
}

export function fingerprintOf(plaintext: Uint8Array): string {
  return createHash('sha256').update(plaintext).digest('base64url');
}

/**
 * A log-safe description: KeyOperationError messages are built to be safe; anything else gives its name and HTTP
 * status only — a store's error text could quote the entity it failed to write (I8).
 */
export function safeDetail(err: unknown): string {
  if (err instanceof KeyOperationError) return err.message;
  if (err instanceof Error) {
    const status = (err as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' ? `${err.name} ${status}` : err.name;
  }
  return 'unknown error';
}

function keyFailure(err: unknown, step: 'unwrap_failed' | 'verify_failed'): DekOutcome {
  if (err instanceof CampaignAborted) return { kind: 'aborted' };
  if (err instanceof BudgetUnavailableError) return { kind: 'failed', reason: 'budget_unavailable', detail: err.message };
  if (err instanceof KeyOperationError && err.kind === 'denied') return { kind: 'failed', reason: 'access_denied', detail: err.message };
  if (err instanceof KeyOperationError && err.kind === 'not_found') return { kind: 'failed', reason: 'key_not_found', detail: err.message };
  return { kind: 'failed', reason: step, detail: safeDetail(err) };
}

export async function rewrapDek(ctx: RewrapContext, row: DekRecord): Promise<DekOutcome> {
  const { target, remote } = ctx;
  if (!isWrapAlgorithm(row.alg)) return { kind: 'failed', reason: 'unsupported_alg', detail: `algorithm ${row.alg} is not rewrapped` };
  const oldAlg = row.alg;
  const newAlg = target.wrapAlg ?? oldAlg;
  let plaintext: Buffer | null = null;
  let check: Buffer | null = null;
  try {
    try {
      plaintext = await remoteCall(remote, target.from.vault, target.weights.unwrapOld, (s) => ctx.wrapper.unwrap(target.from.kid, oldAlg, Buffer.from(row.wrapped, 'base64url'), s));
      ctx.onUnwrap();
    } catch (err) {
      // 400 on the old value: the vault cannot decrypt what the row holds under its own kid.
      if (err instanceof KeyOperationError && err.kind === 'rejected') return { kind: 'corrupt', why: 'unwrap_rejected' };
      return keyFailure(err, 'unwrap_failed');
    }
    if (fingerprintOf(plaintext) !== row.fingerprint) return { kind: 'corrupt', why: 'fingerprint_mismatch' };

    const wrapped = ctx.wrapper.wrapLocally(target.to, newAlg, plaintext);
    try {
      check = await remoteCall(remote, target.to.vault, target.weights.verifyNew, (s) => ctx.wrapper.unwrap(target.to.kid, newAlg, wrapped, s));
      ctx.onUnwrap();
    } catch (err) {
      return keyFailure(err, 'verify_failed');
    }
    if (fingerprintOf(check) !== row.fingerprint) return { kind: 'failed', reason: 'verify_mismatch', detail: 'the new wrapped value does not unwrap to the DEK' };

    // Stopping here is the crash case R-9 names: nothing was written, the row is still on the old kid.
    if (remote.signal?.aborted) return { kind: 'aborted' };
    try {
      const r = await ctx.store.compareAndSet(row.id, target.from.kid, { kid: target.to.kid, alg: newAlg, wrapped: wrapped.toString('base64url') }, row.etag);
      return r === 'ok' ? { kind: 'rewrapped' } : { kind: 'conflict' };
    } catch (err) {
      return { kind: 'failed', reason: 'write_failed', detail: safeDetail(err) };
    }
  } finally {
    plaintext?.fill(0);
    check?.fill(0);
  }
}
