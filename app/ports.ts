// The narrow ports the use cases need (DESIGN.md §2). Adapters implement them over Azure SDKs, Redis and the
// file system; in-memory fakes implement them for app/ tests and pass the same contract suites.
import type { InventoryVersion } from '../domain/estate/model.js';
import type { ProtectorSnapshot } from '../domain/health/snapshot.js';
import type { AlertMessage } from '../domain/alerts/message.js';
import type { Millis } from '../domain/time.js';

export interface Clock {
  now(): Millis;
}

export interface StoredSnapshot {
  readonly snapshot: ProtectorSnapshot;
  /** Opaque version for compare-and-set (the Table Storage ETag). */
  readonly etag: string;
}

export type SaveResult = { readonly ok: true; readonly etag: string } | { readonly ok: false; readonly reason: 'conflict' };

/** Durable per-protector state with compare-and-set: two instances never lose each other's updates. */
export interface StateStore {
  load(protectorId: string): Promise<StoredSnapshot | null>;
  /** `etag: null` creates only when absent; otherwise replaces only when the stored version still has `etag`. */
  save(protectorId: string, snapshot: ProtectorSnapshot, etag: string | null): Promise<SaveResult>;
  /**
   * One page of the stored states in the store's own key order (a scan, not one read per protector): those whose
   * position is after `after` (exclusive) and at most `until` (inclusive), at most `limit` of them. Paging on by
   * passing the last entry's `position` as `after` visits every state stored throughout the scan exactly once.
   */
  list(range: StateRange): Promise<StatePage>;
}

export interface StateRange {
  /** Exclusive lower bound: an entry's `position`; null or absent starts at the first state. */
  readonly after?: string | null;
  /** Inclusive upper bound: an entry's `position`; null or absent runs to the last state. */
  readonly until?: string | null;
  readonly limit: number;
}

/**
 * A stored state as a scan sees it: read, or unreadable (a corrupt or foreign entity) — an error value for that
 * entry alone, so one bad entity never hides the others. `position` is opaque: it orders entries and bounds ranges.
 */
export type StateEntry =
  | { readonly ok: true; readonly position: string; readonly protectorId: string; readonly stored: StoredSnapshot }
  | { readonly ok: false; readonly position: string; readonly protectorId: string | null; readonly error: string };

export interface StatePage {
  /** In increasing position; empty only when the range holds no more states. */
  readonly entries: readonly StateEntry[];
  /** True when the range may hold states after the last entry (page on from its position). */
  readonly more: boolean;
}

/**
 * Where the last sweep stopped (a StateEntry position), so the next one goes on from there. Not a system of record:
 * a lost cursor only makes the next sweep start again at the first state.
 */
export interface SweepCursor {
  load(): Promise<string | null>;
  /** null: the last sweep went all the way round; the next starts at the first state. */
  save(position: string | null): Promise<void>;
}

/** A record that could not be applied: stored with where it came from, never thrown (I4). */
export interface PoisonRecord {
  readonly source: 'keyvault-audit' | 'activity-log' | 'event-grid' | 'unknown';
  readonly partitionId: string;
  readonly offset: string;
  readonly sequenceNumber: number;
  /** Position of the record inside its message (envelopes carry many records). */
  readonly recordIndex: number;
  readonly reason: string;
  /** The raw record as text, truncated to a bounded size. */
  readonly body: string;
  readonly receivedAt: string;
}

export interface PoisonStore {
  /** Idempotent: the same (partition, sequence, record index) stored twice is one record. */
  put(record: PoisonRecord): Promise<void>;
  /**
   * Stores every record, idempotently as `put` (the same position twice, in one call or across calls, is one
   * record; the last one given wins). Resolves only once all are stored; on failure some may be stored and the
   * caller retries the whole call. Writes are batched and bounded in flight, whatever the number of records.
   */
  putMany(records: readonly PoisonRecord[]): Promise<void>;
  list(limit?: number): Promise<PoisonRecord[]>;
}

export type AlertStatus = 'pending' | 'sent' | 'failed';

/** How one channel (email, webhook, itsm) has fared with one alert. */
export interface ChannelDelivery {
  readonly status: AlertStatus;
  /** Sends tried on this channel. */
  readonly attempts: number;
  /** The channel's last failure, as its notifier worded it (never a secret, I8); kept after a later success. */
  readonly lastError?: string;
  /** When the channel accepted the alert. */
  readonly sentAt?: string;
}

export interface AlertRecord {
  /** Identity of the transition (I7: one alert per transition): a second claim of the same key fails. */
  readonly key: string;
  readonly message: AlertMessage;
  readonly createdAt: string;
  /** `sent` once every configured channel delivered; `failed` once none is left to try and one gave up. */
  readonly status: AlertStatus;
  /** Dispatch rounds that tried at least one channel. */
  readonly attempts: number;
  readonly lastError?: string;
  /** Per channel: a delivered channel is never sent the alert again, whatever the others do. */
  readonly channels: Readonly<Record<string, ChannelDelivery>>;
  /** W3C traceparent of the trace that claimed it (an ingestion batch): its send span joins that trace. An id, not a secret. */
  readonly traceparent?: string;
}

/** The small columns of an alert (no message): what health counts. */
export type AlertHead = Pick<AlertRecord, 'key' | 'createdAt' | 'status' | 'attempts' | 'channels'>;

export interface AlertPatch {
  readonly status: AlertStatus;
  readonly attempts: number;
  /** Absent: the last one stays. */
  readonly lastError?: string;
  /** Replaces the stored map when present. */
  readonly channels?: Readonly<Record<string, ChannelDelivery>>;
}

export interface AlertLedger {
  /** Inserts when absent; returns false when the key was already claimed (by this or another instance). */
  claim(record: AlertRecord): Promise<boolean>;
  update(key: string, patch: AlertPatch): Promise<void>;
  /**
   * Records not yet sent, oldest first: the dispatcher's work list after a restart. With `channels`, up to `limit` per
   * channel among those still pending on it (app/alertOrder.ts pendingSelection), so no channel starves another.
   */
  pending(limit?: number, channels?: readonly string[]): Promise<AlertRecord[]>;
  /** Heads of every pending alert, and of the failed ones created at or after `failedSince` (ISO), oldest first. */
  undelivered(failedSince: string): Promise<AlertHead[]>;
  /**
   * Takes the right to send one pending alert until `untilMs` (compare-and-set on the stored record): of two
   * dispatchers — two instances, or a sweep racing an ingestion — exactly one wins each alert. An expired lease
   * (a sender that died) can be taken again.
   */
  lease(key: string, owner: string, nowMs: number, untilMs: number): Promise<boolean>;
  get(key: string): Promise<AlertRecord | null>;
}

/** A channel that delivers one rendered alert (ACS Email, a signed webhook, ITSM incident tickets). Throws on failure. */
export interface Notifier {
  readonly channel: string;
  send(message: AlertMessage): Promise<void>;
}

/** Structured logging; adapters back it with pino. Fields never carry key material, tokens or secrets (I8). */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Shared send budget per channel (ACS Email defaults to 30/min and 100/h): false means "not now, keep it queued". */
export interface RateLimiter {
  tryTake(channel: string, now: number): Promise<boolean>;
}

/** Short-lived, cross-instance "am I first?" (Redis SET NX EX): true when the key was already taken. */
export interface Dedupe {
  seen(key: string, ttlSeconds: number): Promise<boolean>;
}

/** Reconcile: Key Vault audit and activity-log records from Log Analytics, in the raw (Event Hubs) shapes. */
export interface AuditLogReader {
  recentAuditRecords(sinceMs: number, untilMs: number): Promise<unknown[]>;
  recentActivityRecords(sinceMs: number, untilMs: number): Promise<unknown[]>;
}

/** Reconcile: the versions of a key in a vault, read live. */
export interface InventoryReader {
  listVersions(vault: string, keyName: string): Promise<InventoryVersion[]>;
}
