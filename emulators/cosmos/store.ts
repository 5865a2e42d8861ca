// In-memory databases and their client encryption keys, with the system properties Cosmos gives every resource:
// `_rid` (base64 resource id, `/` written `-`; a CEK's begins with its database's), `_self` (the rid path), `_etag`
// (a quoted opaque value, new on every write) and `_ts` (seconds). Resources are kept in creation order, which is
// the order of the read feeds; a continuation names the last resource returned, so a page sequence returns every
// resource that existed for the whole listing exactly once, even while others are created or replaced.
import { randomBytes, randomUUID } from 'node:crypto';
import type { CekWrapMetadata, StoredCek } from './types.js';

export interface DatabaseRecord {
  readonly id: string;
  readonly rid: string;
  readonly ridBytes: Buffer;
  readonly etag: string;
  readonly ts: number;
  readonly seq: number;
  readonly ceks: Map<string, CekRecord>;
}

export interface CekRecord {
  readonly id: string;
  readonly rid: string;
  readonly self: string;
  readonly seq: number;
  etag: string;
  ts: number;
  encryptionAlgorithm: string;
  keyWrapMetadata: CekWrapMetadata;
  wrapped: Buffer;
}

export interface CekContent {
  readonly encryptionAlgorithm: string;
  readonly keyWrapMetadata: CekWrapMetadata;
  readonly wrapped: Buffer;
}

const ridText = (bytes: Buffer): string => bytes.toString('base64').replace(/\//g, '-');
const newEtag = (): string => `"${randomUUID()}"`;

export class CosmosStore {
  private readonly dbs = new Map<string, DatabaseRecord>();
  private readonly rids = new Set<string>();
  private seq = 0;

  constructor(private readonly nowSeconds: () => number) {}

  database(id: string): DatabaseRecord | undefined {
    return this.dbs.get(id);
  }

  databases(): DatabaseRecord[] {
    return [...this.dbs.values()];
  }

  /** Null when a database with this id exists. */
  createDatabase(id: string): DatabaseRecord | null {
    if (this.dbs.has(id)) return null;
    const ridBytes = this.uniqueRid(() => randomBytes(4));
    const db: DatabaseRecord = { id, rid: ridText(ridBytes), ridBytes, etag: newEtag(), ts: this.nowSeconds(), seq: ++this.seq, ceks: new Map() };
    this.dbs.set(id, db);
    return db;
  }

  /** Null when a CEK with this id exists in the database. */
  createCek(db: DatabaseRecord, id: string, content: CekContent): CekRecord | null {
    if (db.ceks.has(id)) return null;
    const rid = ridText(this.uniqueRid(() => Buffer.concat([db.ridBytes, randomBytes(4)])));
    const cek: CekRecord = { id, rid, self: `dbs/${db.rid}/clientencryptionkeys/${rid}/`, seq: ++this.seq, etag: newEtag(), ts: this.nowSeconds(), ...copy(content) };
    db.ceks.set(id, cek);
    return cek;
  }

  /** Replaces the content: a new `_etag` and `_ts`, same `_rid`. */
  replaceCek(cek: CekRecord, content: CekContent): CekRecord {
    Object.assign(cek, copy(content), { etag: newEtag(), ts: this.nowSeconds() });
    return cek;
  }

  private uniqueRid(make: () => Buffer): Buffer {
    for (;;) {
      const bytes = make();
      const text = ridText(bytes);
      if (!this.rids.has(text)) {
        this.rids.add(text);
        return bytes;
      }
    }
  }
}

function copy(c: CekContent): CekContent {
  return { encryptionAlgorithm: c.encryptionAlgorithm, keyWrapMetadata: { ...c.keyWrapMetadata }, wrapped: Buffer.from(c.wrapped) };
}

/** The JSON Cosmos returns for a database. */
export function databaseJson(db: DatabaseRecord): Record<string, unknown> {
  return { id: db.id, _rid: db.rid, _self: `dbs/${db.rid}/`, _etag: db.etag, _colls: 'colls/', _users: 'users/', _ts: db.ts };
}

/** The JSON Cosmos returns for a CEK (ClientEncryptionKeyProperties' names). */
export function cekJson(cek: CekRecord): Record<string, unknown> {
  return {
    id: cek.id,
    encryptionAlgorithm: cek.encryptionAlgorithm,
    keyWrapMetadata: { type: cek.keyWrapMetadata.type, name: cek.keyWrapMetadata.name, value: cek.keyWrapMetadata.value, algorithm: cek.keyWrapMetadata.algorithm },
    wrappedDataEncryptionKey: cek.wrapped.toString('base64'),
    _rid: cek.rid,
    _self: cek.self,
    _etag: cek.etag,
    _ts: cek.ts,
  };
}

export function storedCek(cek: CekRecord): StoredCek {
  return {
    id: cek.id,
    encryptionAlgorithm: cek.encryptionAlgorithm,
    keyWrapMetadata: { ...cek.keyWrapMetadata },
    wrappedDataEncryptionKey: Buffer.from(cek.wrapped),
    _rid: cek.rid,
    _self: cek.self,
    _etag: cek.etag,
    _ts: cek.ts,
  };
}

export interface Page<T> {
  readonly items: T[];
  /** Present when more items follow. */
  readonly continuation?: string;
}

/** Opaque continuation: the creation sequence of the last item returned. */
export function page<T extends { readonly seq: number }>(all: readonly T[], size: number, continuation: string | undefined): Page<T> | null {
  let after = 0;
  if (continuation !== undefined) {
    const parsed = parseContinuation(continuation);
    if (parsed === null) return null;
    after = parsed;
  }
  const rest = [...all].sort((a, b) => a.seq - b.seq).filter((x) => x.seq > after);
  const items = rest.slice(0, size);
  const last = items[items.length - 1];
  return rest.length > size && last ? { items, continuation: Buffer.from(JSON.stringify({ after: last.seq })).toString('base64url') } : { items };
}

function parseContinuation(token: string): number | null {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    const after = (value as { after?: unknown } | null)?.after;
    return typeof after === 'number' && Number.isSafeInteger(after) && after >= 0 ? after : null;
  } catch {
    return null;
  }
}
