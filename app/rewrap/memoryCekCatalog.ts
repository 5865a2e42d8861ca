// In-memory CekCatalog for app/ tests: Cosmos + @azure/cosmos's rewrapClientEncryptionKey as the real adapter
// sees them (it passes the same contract suite, test/contracts/cekCatalog.test.ts): a rewrap reads the CEK, refuses
// when it is no longer on the expected version, unwraps, wraps a copy of the plaintext, and replaces only if the
// row is unchanged since the read (the If-Match the SDK sends). Pages follow id order.
import { sameKeyVersion } from '../../domain/rewrap/cekPlacement.js';
import type { CekCatalog, CekKeyOps, CekPage, CekRecord, CekRewrapResult } from './cekPorts.js';

interface Row extends CekRecord {
  readonly wrapped: Uint8Array;
  readonly etag: number;
}

export class MemoryCekCatalog implements CekCatalog {
  private readonly rows = new Map<string, Row>();
  private etag = 0;
  /** Runs between the rewrap's read and its replace (tests: another writer). */
  beforeReplace: (database: string, id: string) => Promise<void> = async () => undefined;

  constructor(private readonly pageSize = 100) {}

  seed(database: string, id: string, kekKid: string, wrapped: Uint8Array, kekName = 'cmk'): void {
    this.rows.set(`${database}/${id}`, { database, id, kekKid, kekName, algorithm: 'RSA-OAEP', wrapped: Uint8Array.from(wrapped), etag: ++this.etag });
  }

  /** The stored wrapped value (tests only: the port never exposes it). */
  wrappedOf(database: string, id: string): Uint8Array | undefined {
    return this.rows.get(`${database}/${id}`)?.wrapped;
  }

  /** A write by someone else: a new etag, same content. */
  touch(database: string, id: string): void {
    const row = this.rows.get(`${database}/${id}`);
    if (row) this.rows.set(`${database}/${id}`, { ...row, etag: ++this.etag });
  }

  /** Databases with no CEK (tests: an account's other databases). */
  readonly emptyDatabases = new Set<string>();

  async listDatabases(): Promise<string[]> {
    return [...new Set([...[...this.rows.values()].map((r) => r.database), ...this.emptyDatabases])].sort();
  }

  async list(database: string, pageToken?: string): Promise<CekPage> {
    const ids = [...this.rows.values()].filter((r) => r.database === database).map((r) => r.id).sort();
    const start = pageToken === undefined ? 0 : ids.findIndex((id) => id > pageToken);
    const slice = start < 0 ? [] : ids.slice(start, start + this.pageSize);
    const items = slice.map((id) => {
      const { wrapped: _w, etag: _e, ...record } = this.rows.get(`${database}/${id}`) as Row;
      return record;
    });
    const last = slice[slice.length - 1];
    return { items, next: start >= 0 && start + this.pageSize < ids.length && last !== undefined ? last : null };
  }

  async rewrap(database: string, id: string, expectedKekKid: string, to: { kekKid: string; kekName: string }, ops: CekKeyOps): Promise<CekRewrapResult> {
    const key = `${database}/${id}`;
    const read = this.rows.get(key);
    if (!read) return 'gone';
    if (!sameKeyVersion(read.kekKid, expectedKekKid)) return 'conflict';
    const plaintext = await ops.unwrap(expectedKekKid, Uint8Array.from(read.wrapped));
    const wrapped = await ops.wrap(to.kekKid, Uint8Array.from(plaintext));
    await this.beforeReplace(database, id);
    const now = this.rows.get(key);
    if (!now) return 'gone';
    if (now.etag !== read.etag) return 'conflict';
    this.rows.set(key, { ...read, kekKid: to.kekKid, kekName: to.kekName, wrapped: Uint8Array.from(wrapped), etag: ++this.etag });
    return 'ok';
  }
}
