// In-memory RotationLedger for app/ tests: the Table adapter's semantics (it passes the same contract suite,
// test/contracts/rotationLedger.test.ts) — runs copied in and out, an ETag per write, compare-and-set updates,
// one lock per protector held by a run id, staged material per run.
import type { RotationRun } from '../../domain/rotation/run.js';
import type { LedgerWrite, LockHolder, RotationLedger } from './ports.js';

export class MemoryRotationLedger implements RotationLedger {
  private readonly runs = new Map<string, { json: string; etag: string }>();
  private readonly locks = new Map<string, LockHolder>();
  private lockVersions = 0;
  private readonly staged = new Map<string, string>();
  private n = 0;

  private etag(): string {
    return `W/"mem-${++this.n}"`;
  }

  async create(run: RotationRun): Promise<LedgerWrite> {
    if (this.runs.has(run.id)) return { ok: false };
    const etag = this.etag();
    this.runs.set(run.id, { json: JSON.stringify(run), etag });
    return { ok: true, etag };
  }

  async get(id: string): Promise<{ run: RotationRun; etag: string } | null> {
    const row = this.runs.get(id);
    return row ? { run: JSON.parse(row.json) as RotationRun, etag: row.etag } : null;
  }

  async update(run: RotationRun, etag: string): Promise<LedgerWrite> {
    const row = this.runs.get(run.id);
    if (!row || row.etag !== etag) return { ok: false };
    const next = this.etag();
    this.runs.set(run.id, { json: JSON.stringify(run), etag: next });
    return { ok: true, etag: next };
  }

  async listRunning(): Promise<RotationRun[]> {
    return [...this.runs.values()].map((r) => JSON.parse(r.json) as RotationRun).filter((r) => r.status === 'running');
  }

  async listByProtector(protector: string): Promise<RotationRun[]> {
    return [...this.runs.values()].map((r) => JSON.parse(r.json) as RotationRun).filter((r) => r.protector === protector);
  }

  async acquireLock(protector: string, runId: string, takenAt: number | null = null): Promise<boolean> {
    const held = this.locks.get(protector);
    if (held === undefined) this.locks.set(protector, { runId, takenAt, recorded: false, etag: String(++this.lockVersions) });
    return (held?.runId ?? runId) === runId;
  }

  async releaseLock(protector: string, runId: string): Promise<void> {
    if (this.locks.get(protector)?.runId === runId) this.locks.delete(protector);
  }

  async confirmLock(protector: string, runId: string): Promise<boolean> {
    const held = this.locks.get(protector);
    if (held?.runId !== runId) return false;
    if (!held.recorded) this.locks.set(protector, { ...held, recorded: true, etag: String(++this.lockVersions) });
    return true;
  }

  async releaseUnrecordedLock(protector: string, runId: string): Promise<void> {
    const held = this.locks.get(protector);
    if (held?.runId === runId && !held.recorded) this.locks.delete(protector);
  }

  async lockHolder(protector: string): Promise<LockHolder | null> {
    return this.locks.get(protector) ?? null;
  }

  async replaceLock(protector: string, holder: LockHolder, runId: string, takenAt: number | null): Promise<boolean> {
    if (this.locks.get(protector)?.etag !== holder.etag) return false;
    this.locks.set(protector, { runId, takenAt, recorded: false, etag: String(++this.lockVersions) });
    return true;
  }

  async putStaged(runId: string, sealed: string): Promise<void> {
    this.staged.set(runId, sealed);
  }

  async getStaged(runId: string): Promise<string | null> {
    return this.staged.get(runId) ?? null;
  }

  async dropStaged(runId: string): Promise<void> {
    this.staged.delete(runId);
  }
}
