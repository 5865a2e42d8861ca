// Ports of the DEK rewrap use case (DESIGN.md §2 `DekStorePort`, §7): keysteward's own envelope DEK store and the
// Key Vault operations a rewrap needs. Nothing here ever carries a plaintext DEK except the Buffers unwrap returns
// and wrapLocally takes, which the caller zeroes (reliability.md K2, I8).
import type { WrapAlgorithm } from '../../domain/rewrap/fingerprint.js';

export type { WrapAlgorithm } from '../../domain/rewrap/fingerprint.js';

/** A DEK as stored: wrapped under one key version, with the SHA-256 of its plaintext to verify unwraps against. */
export interface NewDek {
  readonly id: string;
  /** Full kid of the wrapping key version. Stores keep it canonical (domain/rewrap/kid.ts canonicalKid). */
  readonly kid: string;
  readonly alg: string;
  /** The wrapped DEK, base64url. */
  readonly wrapped: string;
  /** base64url SHA-256 of the PLAINTEXT DEK, never the plaintext. Fixed for the DEK's life. */
  readonly fingerprint: string;
}

export interface DekRecord extends NewDek {
  /** Opaque row version for compareAndSet (the Table Storage ETag). */
  readonly etag: string;
}

export interface DekFilter {
  /** Only DEKs whose canonical kid starts with this (compared after canonical lower-casing). */
  readonly kidPrefix?: string;
  /** Leaves out DEKs on exactly this kid. */
  readonly notKid?: string;
}

export interface DekPage {
  /** May be empty while `next` is not null (Table Storage returns such pages): only `next === null` ends a scan. */
  readonly items: readonly DekRecord[];
  readonly next: string | null;
}

export interface Rewrapped {
  readonly kid: string;
  readonly alg: string;
  readonly wrapped: string;
}

export interface DekStore {
  /** Create-only: 'exists' when a DEK with this id is already stored (whatever it holds). */
  insert(dek: NewDek): Promise<'ok' | 'exists'>;
  get(id: string): Promise<DekRecord | null>;
  /** One page of DEKs matching `filter`; pass `next` back as `pageToken` for the following page. */
  list(filter: DekFilter, pageToken?: string, pageSize?: number): Promise<DekPage>;
  /**
   * Replaces kid, alg and wrapped (never the fingerprint) only if the row is unchanged since the read that returned
   * `etag` and showed `expectedKid`: an ETag pins one version of the row, so its kid is still `expectedKid`
   * (stores that can see the kid also check it). 'conflict' when the row changed or is gone.
   */
  compareAndSet(id: string, expectedKid: string, next: Rewrapped, etag: string): Promise<'ok' | 'conflict'>;
  /** DEKs per canonical kid over the whole store (or the filter): a full, fresh scan. */
  countByKid(filter?: DekFilter): Promise<Map<string, number>>;
}

/** A key version's public half, fetched once and parsed once (limits.md N7). Opaque: only its KeyWrapper can use it. */
export interface WrappingKey {
  /** Canonical kid. */
  readonly kid: string;
  readonly vault: string;
  /** 'RSA' or 'RSA-HSM'. */
  readonly kty: string;
  readonly sizeBits: number;
}

export interface KeyWrapper {
  /** The version's public key: one GET per kid for the wrapper's life (concurrent first calls share it). */
  wrappingKey(kid: string, signal?: AbortSignal): Promise<WrappingKey>;
  /** Remote unwrap under `kid`. The caller owns the returned plaintext and must zero it (`fill(0)`). */
  unwrap(kid: string, alg: WrapAlgorithm, wrapped: Uint8Array, signal?: AbortSignal): Promise<Buffer>;
  /** Local wrap with the cached public key (no vault call, K14). Does not keep or modify `dek`. */
  wrapLocally(key: WrappingKey, alg: WrapAlgorithm, dek: Uint8Array): Buffer;
}

/**
 * Why a Key Vault operation failed, as the campaign acts on it:
 * - throttled: 429; wait `retryAfterMs` (Retry-After) when known, then retry;
 * - transient: 5xx, 408, network; retry with backoff;
 * - denied: 401/403 (permissions, firewall, disabled key): retrying will not help;
 * - not_found: 404 (the version is gone);
 * - rejected: 400 (e.g. a ciphertext this key cannot decrypt).
 * The message is safe to log: status, codes and the service's first line only — never a value (I8).
 */
export type KeyOperationFailure = 'throttled' | 'transient' | 'denied' | 'not_found' | 'rejected';

export class KeyOperationError extends Error {
  override readonly name = 'KeyOperationError';

  constructor(
    readonly kind: KeyOperationFailure,
    message: string,
    readonly status: number | null = null,
    /** Set for 'throttled' when the service said how long to wait. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}
