// Ports of the rotation use cases. Adapters: Table Storage (ledger), @azure/keyvault-keys (keys), @azure/arm-sql
// (protector switch), BullMQ (queue).
import type { InventoryVersion } from '../../domain/estate/model.js';
import type { RotationRun } from '../../domain/rotation/run.js';

export type LedgerWrite = { readonly ok: true; readonly etag: string } | { readonly ok: false };

export interface LockHolder {
  readonly runId: string;
  readonly takenAt: number | null;
  /** The holder's run was recorded and confirmed the lock (confirmLock); a starter no longer renews it then. */
  readonly recorded: boolean;
  /** Opaque version of the lock as read. */
  readonly etag: string;
}

/** The durable record of rotation runs, advanced with compare-and-set (a stalled duplicate step cannot commit twice). */
export interface RotationLedger {
  create(run: RotationRun): Promise<LedgerWrite>;
  get(id: string): Promise<{ readonly run: RotationRun; readonly etag: string } | null>;
  update(run: RotationRun, etag: string): Promise<LedgerWrite>;
  /**
   * At most one running rotation per protector: true when `runId` holds (or now took) the protector's lock. `takenAt`
   * (the shared claim time, epoch ms) is recorded with it, so a lock whose holder never recorded its run can be told.
   */
  acquireLock(protector: string, runId: string, takenAt?: number | null): Promise<boolean>;
  releaseLock(protector: string, runId: string): Promise<void>;
  /**
   * A starter gives back a lock its run never confirmed: deleted only while it is `runId`'s and not `recorded`, by
   * compare-and-set on the version read — so it can never free the lock of a run recorded meanwhile (by another attempt
   * of the same derived id).
   */
  releaseUnrecordedLock(protector: string, runId: string): Promise<void>;
  /**
   * After its run is recorded, the holder confirms the lock by compare-and-set on the version it reads: false when the
   * lock is no longer `runId`'s (it was taken over as abandoned); true when it is and already confirmed. A takeover
   * (replaceLock) and a confirmation of the same version cannot both succeed, so a slow starter and the one that took its
   * lock over never both run. A concurrent write that keeps `runId` the holder (a renewal) does not make it fail.
   */
  confirmLock(protector: string, runId: string): Promise<boolean>;
  /** Who holds the protector's lock, when it was taken, and the version read (for replaceLock); null when free. */
  lockHolder(protector: string): Promise<LockHolder | null>;
  /** Takes an abandoned lock over: only while it is still exactly the version `holder` read (compare-and-set). */
  replaceLock(protector: string, holder: LockHolder, runId: string, takenAt: number | null): Promise<boolean>;
  /** Staged key material of a run, sealed (see app/rotation/material.ts): opaque bytes, never plaintext. */
  putStaged(runId: string, sealed: string): Promise<void>;
  getStaged(runId: string): Promise<string | null>;
  dropStaged(runId: string): Promise<void>;
}

/** An RSA private key as a JWK with base64url fields — lives only in memory, zeroed after use. */
export interface RsaJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
}

export interface CreatedVersion {
  readonly kid: string;
  readonly version: string;
  readonly thumbprint: string;
  /** When Key Vault says the version expires (epoch ms), null when it does not. */
  readonly exp: number | null;
  /** When Key Vault made it (epoch ms), null when it did not say. */
  readonly created: number | null;
}

export interface RotationKeys {
  listVersions(vault: string, keyName: string): Promise<InventoryVersion[]>;
  /** Imports a version; `expiresOn` (epoch ms) becomes its expiry, none when null. */
  importVersion(vault: string, keyName: string, jwk: RsaJwk, tags: Readonly<Record<string, string>>, hsm: boolean, expiresOn: number | null): Promise<CreatedVersion>;
  rotate(vault: string, keyName: string): Promise<CreatedVersion>;
  /** Adds tags to a version and, when `expiresOn` (epoch ms) is given, sets its expiry. */
  tagVersion(vault: string, keyName: string, version: string, tags: Readonly<Record<string, string>>, expiresOn?: number | null): Promise<void>;
  /** Remote RSA-OAEP-256 wrap/unwrap with one version of a key (used to seal staged material). */
  wrap(vault: string, keyName: string, version: string, data: Buffer): Promise<string>;
  unwrap(vault: string, keyName: string, version: string, wrapped: string): Promise<Buffer>;
}

export interface ProtectorSwitchPort {
  getProtector(server: string): Promise<{ serverKeyName: string; kid: string | null; serverKeyType: 'AzureKeyVault' | 'ServiceManaged' }>;
  addServerKey(server: string, kid: string): Promise<void>;
  setProtector(server: string, kid: string): Promise<void>;
}

/** Starts the queued execution of a run's steps (BullMQ flow); idempotent per run id. */
export interface RotationQueue {
  enqueue(run: RotationRun): Promise<void>;
}
