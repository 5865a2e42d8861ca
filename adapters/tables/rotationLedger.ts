// The rotation ledger in Table Storage: one entity per run (chunked JSON, advanced with ETag compare-and-set),
// one lock entity per protector (at most one running rotation each), and the run's sealed staged material in
// its own row, deleted as soon as every vault holds the new version.
import { odata } from '@azure/data-tables';
import type { LedgerWrite, LockHolder, RotationLedger } from '../../app/rotation/ports.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import { asciiJson, fromChunkProperties, toChunkProperties } from './chunks.js';
import { openTable, type LazyTable, type TableConnection } from './connection.js';
import { statusOf } from './errors.js';
import { encodeKey } from './keys.js';

const RUN = 'run';
const STAGED = 'staged';
const LOCK = 'lock';

export class TableRotationLedger implements RotationLedger {
  private readonly runs: LazyTable;
  private readonly locks: LazyTable;

  constructor(connection: TableConnection, opts: { runsTable?: string; locksTable?: string } = {}) {
    this.runs = openTable(connection, opts.runsTable ?? 'rotations');
    this.locks = openTable(connection, opts.locksTable ?? 'rotationlocks');
  }

  private entity(run: RotationRun): Record<string, unknown> & { partitionKey: string; rowKey: string } {
    const { properties, count } = toChunkProperties('r', asciiJson(run));
    return { partitionKey: run.id, rowKey: RUN, protector: run.protector, status: run.status, chunks: count, ...properties };
  }

  async create(run: RotationRun): Promise<LedgerWrite> {
    const client = await this.runs.ready();
    try {
      const res = await client.createEntity(this.entity(run));
      return res.etag ? { ok: true, etag: res.etag } : { ok: false };
    } catch (err) {
      if (statusOf(err) === 409) return { ok: false };
      throw err;
    }
  }

  async get(id: string): Promise<{ run: RotationRun; etag: string } | null> {
    const client = await this.runs.ready();
    try {
      const e = await client.getEntity<Record<string, unknown>>(id, RUN);
      const json = fromChunkProperties(e, 'r', e['chunks']);
      if (json === null) throw new Error(`rotation ${id}: stored run is incomplete`);
      return { run: JSON.parse(json) as RotationRun, etag: e.etag };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async update(run: RotationRun, etag: string): Promise<LedgerWrite> {
    const client = await this.runs.ready();
    try {
      const res = await client.updateEntity(this.entity(run), 'Replace', { etag });
      return res.etag ? { ok: true, etag: res.etag } : { ok: false };
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return { ok: false };
      throw err;
    }
  }

  /** Runs still marked running: what the queue reconciler checks after a Redis loss. */
  async listRunning(): Promise<RotationRun[]> {
    const client = await this.runs.ready();
    const runs: RotationRun[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${RUN} and status eq ${'running'}` } })) {
      const json = fromChunkProperties(e, 'r', e['chunks']);
      if (json !== null) runs.push(JSON.parse(json) as RotationRun);
    }
    return runs;
  }

  /** Every run of one protector (the run rows carry the protector id as a property). */
  async listByProtector(protector: string): Promise<RotationRun[]> {
    const client = await this.runs.ready();
    const runs: RotationRun[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${RUN} and protector eq ${protector}` } })) {
      const json = fromChunkProperties(e, 'r', e['chunks']);
      if (json !== null) runs.push(JSON.parse(json) as RotationRun);
    }
    return runs;
  }

  async acquireLock(protector: string, runId: string, takenAt: number | null = null): Promise<boolean> {
    const client = await this.locks.ready();
    const pk = encodeKey(protector);
    try {
      await client.createEntity({ partitionKey: pk, rowKey: LOCK, runId, ...(takenAt !== null ? { takenAt: String(takenAt) } : {}) });
      return true;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    const held = await client.getEntity<{ runId?: string }>(pk, LOCK).catch(() => null);
    return held?.runId === runId;
  }

  async releaseLock(protector: string, runId: string): Promise<void> {
    const client = await this.locks.ready();
    const pk = encodeKey(protector);
    const held = await client.getEntity<{ runId?: string }>(pk, LOCK).catch(() => null);
    // Only the holder releases, and only the version it read (a new run may have taken it since).
    if (held?.runId === runId) await client.deleteEntity(pk, LOCK, { etag: held.etag }).catch(() => undefined);
  }

  async confirmLock(protector: string, runId: string): Promise<boolean> {
    const client = await this.locks.ready();
    // A 412 means the lock changed since it was read: read again — it may still be this run's (renewed meanwhile).
    for (let attempt = 0; attempt < 5; attempt++) {
      const held = await this.lockHolder(protector);
      if (held?.runId !== runId) return false;
      if (held.recorded) return true;
      try {
        await client.updateEntity({ partitionKey: encodeKey(protector), rowKey: LOCK, runId, takenAt: held.takenAt === null ? '' : String(held.takenAt), recorded: true }, 'Replace', { etag: held.etag });
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        if (statusOf(err) !== 412) throw err;
      }
    }
    throw new Error(`the rotation lock of ${protector} kept changing while ${runId} confirmed it`);
  }

  async releaseUnrecordedLock(protector: string, runId: string): Promise<void> {
    const held = await this.lockHolder(protector);
    if (held?.runId !== runId || held.recorded) return;
    const client = await this.locks.ready();
    // By the version read: a confirmation in between makes this delete fail (412), and the recorded run keeps its lock.
    await client.deleteEntity(encodeKey(protector), LOCK, { etag: held.etag }).catch((err: unknown) => {
      if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
    });
  }

  async lockHolder(protector: string): Promise<LockHolder | null> {
    const client = await this.locks.ready();
    try {
      const held = await client.getEntity<{ runId?: unknown; takenAt?: unknown; recorded?: unknown }>(encodeKey(protector), LOCK);
      if (typeof held.runId !== 'string') return null;
      const takenAt = typeof held.takenAt === 'string' && /^\d+$/.test(held.takenAt) ? Number(held.takenAt) : null;
      return { runId: held.runId, takenAt, recorded: held.recorded === true, etag: held.etag };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async replaceLock(protector: string, holder: LockHolder, runId: string, takenAt: number | null): Promise<boolean> {
    const client = await this.locks.ready();
    try {
      await client.updateEntity({ partitionKey: encodeKey(protector), rowKey: LOCK, runId, takenAt: takenAt === null ? '' : String(takenAt) }, 'Replace', { etag: holder.etag });
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return false;
      throw err;
    }
  }

  async putStaged(runId: string, sealed: string): Promise<void> {
    const client = await this.runs.ready();
    const { properties, count } = toChunkProperties('m', sealed);
    await client.upsertEntity({ partitionKey: runId, rowKey: STAGED, chunks: count, ...properties }, 'Replace');
  }

  async getStaged(runId: string): Promise<string | null> {
    const client = await this.runs.ready();
    try {
      const e = await client.getEntity<Record<string, unknown>>(runId, STAGED);
      return fromChunkProperties(e, 'm', e['chunks']);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async dropStaged(runId: string): Promise<void> {
    const client = await this.runs.ready();
    await client.deleteEntity(runId, STAGED).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
  }
}
