// Ports of the Cosmos DB Always Encrypted rewrap (DESIGN.md §1 Cosmos, issue 4 §6): client encryption keys (CEKs)
// are DEKs kept by Cosmos, each wrapped by one version of a Key Vault key (`keyWrapMetadata.value` is its kid).
// The adapter is @azure/cosmos (`rewrapClientEncryptionKey`); the Key Vault work inside a rewrap is supplied by the
// campaign as CekKeyOps, so it stays budgeted, verified and free of plaintext in anything but short-lived buffers.
import type { AlwaysEncryptedTarget } from '../../domain/estate/model.js';

/** A CEK as listed: identifiers and wrap metadata only — the wrapped value never leaves the adapter (I8). */
export interface CekRecord {
  readonly database: string;
  readonly id: string;
  /** `keyWrapMetadata.value`: the wrapping key version's kid, as Cosmos holds it. */
  readonly kekKid: string;
  /** `keyWrapMetadata.name`: the label the application gave the key. */
  readonly kekName: string;
  /** `keyWrapMetadata.algorithm`, e.g. RSA-OAEP. */
  readonly algorithm: string;
}

export interface CekPage {
  readonly items: readonly CekRecord[];
  /** Continuation for the next page; only null ends a scan. */
  readonly next: string | null;
}

/**
 * The Key Vault work of one rewrap, called by the Cosmos SDK through its key resolver: unwrap the CEK under its
 * current kid, then wrap the plaintext for the new kid. `wrap` must return only a value it has verified.
 */
export interface CekKeyOps {
  unwrap(kekKid: string, wrapped: Uint8Array): Promise<Uint8Array>;
  wrap(kekKid: string, plaintext: Uint8Array): Promise<Uint8Array>;
}

/**
 * Cosmos refused keysteward (401/403), or the account key the estate names is not configured: no CEK can be read or
 * written this way, and retrying will not help until an operator fixes the access. Log-safe message.
 */
export class CekAccessError extends Error {
  override readonly name = 'CekAccessError';
}

/** `ok` replaced; `conflict` the CEK changed since it was listed (412, or no longer on `expectedKekKid`); `gone` 404. */
export type CekRewrapResult = 'ok' | 'conflict' | 'gone';

export interface CekCatalog {
  /**
   * Every database of the account. A campaign and the retirement gate scan these as well as the estate's list: a
   * database created after the estate was written still holds CEKs under the key (I3 fails closed on it).
   */
  listDatabases(): Promise<string[]>;
  /** One page of a database's CEKs (the Cosmos read feed). */
  list(database: string, pageToken?: string): Promise<CekPage>;
  /**
   * Moves one CEK to `to` with `rewrapClientEncryptionKey` (read → ops.unwrap → ops.wrap → replace If-Match).
   * Refuses ('conflict') without any Key Vault call when the CEK is no longer wrapped by `expectedKekKid`.
   */
  rewrap(database: string, id: string, expectedKekKid: string, to: { readonly kekKid: string; readonly kekName: string }, ops: CekKeyOps): Promise<CekRewrapResult>;
}

/** Catalogs per Cosmos account (one SDK client each), closed together when the host stops. */
export interface CekCatalogs {
  open(target: AlwaysEncryptedTarget): CekCatalog;
  close(): void;
}
