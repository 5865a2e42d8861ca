// AlertLedger over Table Storage (I7: one alert per transition). The claim is an insert that fails when the
// key exists, so of any number of instances racing on one transition exactly one gets to send.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { AlertHead, AlertLedger, AlertPatch, AlertRecord, ChannelDelivery } from '../../app/ports.js';
import { mapLimit } from '../../app/concurrency.js';
import type { AlertKind, AlertMessage } from '../../domain/alerts/message.js';
import { entityBytes, fitsInEntity, fromChunkProperties, MAX_ENTITY_BYTES, asciiJson, toChunkProperties, truncateText } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { oldestFirst, pendingSelection } from '../../app/alertOrder.js';
import { isTraceparent } from '../../app/telemetry.js';
import { CorruptEntityError, EntityTooLargeError, statusOf } from './errors.js';
import { encodeKey } from './keys.js';
import { leasePendingRow } from './lease.js';

export const ALERT_TABLE = 'alerts';
/** Alerts are few: one partition keeps the table simple (Table Storage serves ~2,000 entities/s per partition). */
const PARTITION = 'alert';
export const LAST_ERROR_MAX_CHARS = 4_000;
/** Per channel: the channels map is one string property (at most 32K UTF-16 units), so each error is kept short. */
export const CHANNEL_ERROR_MAX_CHARS = 1_000;
const CHANNELS_MAX_CHARS = 30_000;
const DEFAULT_PENDING_LIMIT = 100;
/** Reads of full records in flight at once (pending()). */
const READ_CONCURRENCY = 16;

const statusSchema = z.enum(['pending', 'sent', 'failed']);
const channelsSchema = z.record(
  z.string(),
  z.strictObject({ status: statusSchema, attempts: z.number().int().nonnegative(), lastError: z.string().optional(), sentAt: z.string().optional() }),
);
// A Record over the union makes the compiler flag a kind added to AlertKind but not here.
const KINDS: Record<AlertKind, true> = { opened: true, advanced: true, resolved: true, escalation: true };
const messageSchema = z.looseObject({
  key: z.string(),
  kind: z.string().refine((k) => Object.hasOwn(KINDS, k), { message: 'unknown alert kind' }),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  to: z.array(z.string()),
  incidents: z.array(z.looseObject({ protector: z.string(), member: z.string() })),
  createdAt: z.string(),
});

export class TableAlertLedger implements AlertLedger {
  private readonly table: LazyTable;

  constructor(connection: TableConnection, opts: { tableName?: string } = {}) {
    this.table = openTable(connection, opts.tableName ?? ALERT_TABLE);
  }

  async claim(record: AlertRecord): Promise<boolean> {
    const rk = encodeKey(record.key);
    const { properties, count } = toChunkProperties('m', asciiJson(record.message));
    const fields = {
      key: record.key,
      createdAt: record.createdAt,
      status: record.status,
      attempts: record.attempts,
      ...(record.lastError === undefined ? {} : { lastError: truncateText(record.lastError, LAST_ERROR_MAX_CHARS) }),
      channels: this.channelsText(record.channels),
      // Only a well-formed traceparent is stored: it is an id (never a secret), read back as one.
      ...(isTraceparent(record.traceparent) ? { traceparent: record.traceparent } : {}),
      mchunks: count,
      ...properties,
    };
    const bytes = entityBytes(PARTITION, rk, fields);
    if (!fitsInEntity(bytes)) throw new EntityTooLargeError(this.table.name, bytes, MAX_ENTITY_BYTES);
    const client = await this.table.ready();
    try {
      await client.createEntity({ partitionKey: PARTITION, rowKey: rk, ...fields });
      return true;
    } catch (err) {
      // 409: claimed already. (An SDK retry of our own timed-out insert also lands here: the record then stays
      // 'pending' and the dispatcher's pending() sweep sends it, so the alert is late, never lost.)
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  async lease(key: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
    return leasePendingRow(await this.table.ready(), PARTITION, encodeKey(key), owner, nowMs, untilMs);
  }


  async update(key: string, patch: AlertPatch): Promise<void> {
    const client = await this.table.ready();
    const entity = {
      partitionKey: PARTITION,
      rowKey: encodeKey(key),
      status: patch.status,
      attempts: patch.attempts,
      // Merge: an absent lastError keeps the previous one (the last failure stays visible after a later success).
      ...(patch.lastError === undefined ? {} : { lastError: truncateText(patch.lastError, LAST_ERROR_MAX_CHARS) }),
      ...(patch.channels === undefined ? {} : { channels: this.channelsText(patch.channels) }),
    };
    try {
      await client.updateEntity(entity, 'Merge');
    } catch (err) {
      if (statusOf(err) === 404) throw new Error(`alert ledger: no claimed alert with key "${key}" to update`);
      throw err;
    }
  }

  /** The channels map as one ASCII JSON property, each error bounded. */
  private channelsText(channels: Readonly<Record<string, ChannelDelivery>>): string {
    const bounded = Object.fromEntries(
      Object.entries(channels).map(([name, { lastError, ...rest }]) => [name, { ...rest, ...(lastError === undefined ? {} : { lastError: truncateText(lastError, CHANNEL_ERROR_MAX_CHARS) }) }]),
    );
    const text = asciiJson(bounded);
    if (text.length > CHANNELS_MAX_CHARS) throw new EntityTooLargeError(this.table.name, text.length * 2, CHANNELS_MAX_CHARS * 2);
    return text;
  }

  async pending(limit = DEFAULT_PENDING_LIMIT, channels?: readonly string[]): Promise<AlertRecord[]> {
    if (limit <= 0) return [];
    const client = await this.table.ready();
    // Table Storage returns rows in key order, not time order: read the small index columns of every pending
    // record (with the per-channel delivery map), select, then fetch only the selected in full.
    const heads: AlertHead[] = [];
    const filter = odata`PartitionKey eq ${PARTITION} and status eq ${'pending'}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['key', 'createdAt', 'status', 'attempts', 'channels'] } })) {
      heads.push(this.headOf(e, e.rowKey ?? '?'));
    }
    const records = await mapLimit(pendingSelection(heads, limit, channels), READ_CONCURRENCY, (h) => this.get(h.key));
    // A record sent between the query and the read is no longer pending.
    return records.filter((r): r is AlertRecord => r !== null && r.status === 'pending');
  }

  async undelivered(failedSince: string): Promise<AlertHead[]> {
    const client = await this.table.ready();
    const filter = odata`PartitionKey eq ${PARTITION} and (status eq ${'pending'} or (status eq ${'failed'} and createdAt ge ${failedSince}))`;
    const heads: AlertHead[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['key', 'createdAt', 'status', 'attempts', 'channels'] } })) {
      heads.push(this.headOf(e, e.rowKey ?? '?'));
    }
    return heads.sort(oldestFirst);
  }

  /** The small columns of a stored alert, checked. */
  private headOf(e: Record<string, unknown>, rk: string): AlertHead {
    const corrupt = (detail: string): CorruptEntityError => new CorruptEntityError(this.table.name, PARTITION, rk, detail);
    const status = statusSchema.safeParse(e.status);
    if (typeof e.key !== 'string' || !status.success || typeof e.createdAt !== 'string' || typeof e.attempts !== 'number') throw corrupt('missing or mistyped status fields');
    // Rows written before per-channel delivery have no map: nothing delivered per channel yet.
    let channels: unknown = {};
    if (e.channels !== undefined) {
      try {
        channels = typeof e.channels === 'string' ? JSON.parse(e.channels) : null;
      } catch {
        channels = null;
      }
    }
    const parsed = channelsSchema.safeParse(channels);
    if (!parsed.success) throw corrupt('channels is not a valid delivery map');
    // Parsed from JSON, so an optional field is absent, never undefined.
    return { key: e.key, createdAt: e.createdAt, status: status.data, attempts: e.attempts, channels: parsed.data as Record<string, ChannelDelivery> };
  }

  async get(key: string): Promise<AlertRecord | null> {
    const client = await this.table.ready();
    const rk = encodeKey(key);
    let e: Record<string, unknown>;
    try {
      e = await client.getEntity<Record<string, unknown>>(PARTITION, rk);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
    const corrupt = (detail: string): CorruptEntityError => new CorruptEntityError(this.table.name, PARTITION, rk, detail);
    if (e.key !== key) throw corrupt('stored key does not match its RowKey');
    const head = this.headOf(e, rk);
    if (e.lastError !== undefined && typeof e.lastError !== 'string') throw corrupt('lastError is not a string');
    const json = fromChunkProperties(e, 'm', e.mchunks);
    if (json === null) throw corrupt('missing or malformed message chunks');
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw corrupt('message is not valid JSON');
    }
    if (!messageSchema.safeParse(value).success) throw corrupt('message fails its schema');
    return {
      key,
      message: value as AlertMessage,
      createdAt: head.createdAt,
      status: head.status,
      attempts: head.attempts,
      ...(typeof e.lastError === 'string' ? { lastError: e.lastError } : {}),
      channels: head.channels,
      ...(isTraceparent(e.traceparent) ? { traceparent: e.traceparent } : {}),
    };
  }
}
