// Starting a rotation while another of the same protector is half done (found by npm run chaos): the running one has
// imported its new version into the secondary's vault but not yet the primary's, so a plan made now fails its
// geo-consistency check. The second request must wait (busy) — an ITSM request then stays open and retries — not be
// refused for the first run's work in progress; once that run ends, the same inconsistency is a real refusal.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { EstateUnverifiedError, fixedEstate } from '../../../app/estateSource.js';
import { FakeClaimClock } from '../../../app/fakes/fakeClaimClock.js';
import { MemoryStateStore } from '../../../app/fakes/memoryStateStore.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import type { RotationKeys } from '../../../app/rotation/ports.js';
import { ABANDONED_LOCK_MS, startRotation, type StartDeps } from '../../../app/rotation/start.js';
import type { InventoryVersion } from '../../../domain/estate/model.js';
import type { RotationRun } from '../../../domain/rotation/run.js';
import { ORDERS_ESTATE } from './estate.js';

const estate = ORDERS_ESTATE;

const version = (n: number, thumbprint: string): InventoryVersion => ({ version: n.toString(16).padStart(32, '0'), thumbprint, enabled: true, exp: null, nbf: null, created: n, kty: 'RSA', size: 2048, tags: {} });
const OLD = 'o'.repeat(43);
const NEW = 'n'.repeat(43);

/** The secondary's vault already holds the new material; the primary's does not yet. */
const halfImported: Pick<RotationKeys, 'listVersions'> = {
  listVersions: async (vault) => (vault === 'kv-wus' ? [version(1, OLD), version(3, NEW)] : [version(2, OLD)]),
};

/** Both vaults hold the same current version: a plan that runs. */
const consistent: Pick<RotationKeys, 'listVersions'> = { listVersions: async () => [version(2, OLD)] };

function deps(ledger: MemoryRotationLedger): StartDeps & { queued: RotationRun[]; claimClock: FakeClaimClock } {
  const queued: RotationRun[] = [];
  const now = Date.parse('2026-12-06T04:00:00Z');
  return {
    queued,
    estates: fixedEstate(estate),
    ledger,
    keys: halfImported as RotationKeys,
    protectors: { getProtector: async () => ({ serverKeyName: 'x', kid: null, serverKeyType: 'AzureKeyVault' }), addServerKey: async () => undefined, setProtector: async () => undefined },
    clock: { now: () => now },
    claimClock: new FakeClaimClock(now),
    log: silentLogger,
    vaultUrl: (v) => `https://${v}.vault.azure.net/`,
    state: new MemoryStateStore(),
    queue: { enqueue: async (run) => void queued.push(run) },
  };
}

describe('startRotation while another rotation of the protector is half done', () => {
  it('is busy (the request waits) — not refused, and nothing is recorded or queued', async () => {
    const ledger = new MemoryRotationLedger();
    expect(await ledger.acquireLock('orders', 'rot-orders-running-1')).toBe(true);
    const d = deps(ledger);
    expect(await startRotation(d, 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
    expect(d.queued).toEqual([]);
    expect(await ledger.listRunning()).toEqual([]);
  });

  it('once the other run released the protector, the same inconsistency refuses the plan (geo-consistency) and frees the lock', async () => {
    const ledger = new MemoryRotationLedger();
    const d = deps(ledger);
    const result = await startRotation(d, 'orders', { requestedBy: 'itsm' });
    expect(result.kind).toBe('refused');
    if (result.kind === 'refused') expect(result.run.preflight.filter((c) => !c.ok).map((c) => c.check)).toContain('geo-consistency');
    expect(await ledger.acquireLock('orders', 'rot-orders-next-1')).toBe(true);
  });
});

describe('startRotation and a lock left behind by a crash', () => {
  const NOW = Date.parse('2026-12-06T04:00:00Z');

  it('takes over a lock whose run was never recorded once it is older than ABANDONED_LOCK_MS (by the shared clock)', async () => {
    const ledger = new MemoryRotationLedger();
    expect(await ledger.acquireLock('orders', 'rot-orders-crashed-1', NOW - ABANDONED_LOCK_MS - 1)).toBe(true);
    const result = await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' });
    // Half-imported material refuses this plan — which shows the lock was taken: a plan is made only under it.
    expect(result.kind).toBe('refused');
    expect(await ledger.lockHolder('orders')).toBeNull();
  });

  it('leaves a young lock alone: its starter may still be planning', async () => {
    const ledger = new MemoryRotationLedger();
    expect(await ledger.acquireLock('orders', 'rot-orders-planning-1', NOW - ABANDONED_LOCK_MS + 1_000)).toBe(true);
    expect(await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
    expect((await ledger.lockHolder('orders'))?.runId).toBe('rot-orders-planning-1');
  });

  it('times an untimed lock whose run is missing from when it is first seen, and takes it over ABANDONED_LOCK_MS later', async () => {
    const ledger = new MemoryRotationLedger();
    expect(await ledger.acquireLock('orders', 'rot-orders-untimed-1')).toBe(true);
    const d = deps(ledger);
    expect(await startRotation(d, 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: 'rot-orders-untimed-1', takenAt: NOW });
    d.claimClock.advance(ABANDONED_LOCK_MS + 1);
    // Half-imported material refuses the plan, which shows the lock was taken over: a plan is made only under it.
    expect((await startRotation(d, 'orders', { requestedBy: 'itsm' })).kind).toBe('refused');
  });

  it('takes over at once a lock whose run has ended (the crash fell between the run\'s end and the release)', async () => {
    const ledger = new MemoryRotationLedger();
    const first = await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' });
    if (first.kind !== 'refused') throw new Error(`expected a refused run, got ${first.kind}`);
    expect(await ledger.acquireLock('orders', first.run.id, NOW)).toBe(true);
    const again = await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' });
    expect(again.kind).toBe('refused');
    expect(await ledger.lockHolder('orders')).toBeNull();
  });

  it('a starter taken over while it planned records nothing: its lease renewal loses to the takeover', async () => {
    const ledger = new MemoryRotationLedger();
    const d = deps(ledger);
    let tookOver = false;
    const slowStart: StartDeps = {
      ...d,
      keys: {
        listVersions: async (vault, key) => {
          const holder = await ledger.lockHolder('orders');
          // Another instance decides the lock is abandoned and takes it while this start is still planning.
          if (!tookOver && holder) tookOver = await ledger.replaceLock('orders', holder, 'rot-orders-taker-1', NOW);
          return consistent.listVersions(vault, key);
        },
      } as RotationKeys,
    };
    expect(await startRotation(slowStart, 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
    expect(tookOver).toBe(true);
    expect(d.queued).toEqual([]);
    expect(await ledger.listByProtector('orders')).toEqual([]);
    expect((await ledger.lockHolder('orders'))?.runId).toBe('rot-orders-taker-1');
  });

  it('a starter taken over between recording its run and confirming the lock withdraws the run (refused, check "lock")', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    const create = ledger.create.bind(ledger);
    ledger.create = async (run) => {
      const written = await create(run);
      // The write outlasted the lease: another instance took the lock over before this start could confirm it.
      const holder = await ledger.lockHolder('orders');
      if (holder) expect(await ledger.replaceLock('orders', holder, 'rot-orders-taker-1', NOW)).toBe(true);
      return written;
    };
    expect(await startRotation(d, 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
    expect(d.queued).toEqual([]);
    expect(await ledger.listRunning()).toEqual([]);
    const [withdrawn] = await ledger.listByProtector('orders');
    expect(withdrawn?.status).toBe('refused');
    expect(withdrawn?.preflight.at(-1)).toMatchObject({ check: 'lock', ok: false });
    expect((await ledger.lockHolder('orders'))?.runId).toBe('rot-orders-taker-1');
  });

  it('without a takeover the same plan runs: recorded, queued, and the lock confirmed as recorded', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    const result = await startRotation(d, 'orders', { requestedBy: 'itsm' });
    expect(result.kind).toBe('started');
    expect(d.queued.map((r) => r.id)).toEqual(result.kind === 'started' ? [result.run.id] : []);
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: d.queued[0]?.id, recorded: true });
  });

  it('planning that outlasts ABANDONED_LOCK_MS without contention still runs: the lease is renewed before recording', async () => {
    const ledger = new MemoryRotationLedger();
    const d = deps(ledger);
    const slow: StartDeps = {
      ...d,
      keys: {
        listVersions: async (vault, key) => {
          d.claimClock.advance(ABANDONED_LOCK_MS);
          return consistent.listVersions(vault, key);
        },
      } as RotationKeys,
    };
    const result = await startRotation(slow, 'orders', { requestedBy: 'itsm' });
    expect(result.kind).toBe('started');
    expect(await ledger.lockHolder('orders')).toMatchObject({ takenAt: NOW + 2 * ABANDONED_LOCK_MS, recorded: true });
  });

  it('takes no lock while the shared clock is unreachable (an untimed lock could never be told abandoned)', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    d.claimClock.reachable = false;
    expect((await startRotation(d, 'orders', { requestedBy: 'itsm' })).kind).toBe('unavailable');
    expect(await ledger.lockHolder('orders')).toBeNull();
  });

  it('the same derived id asked again after its starter died takes its own lock back with a new lease', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    expect(await ledger.acquireLock('orders', 'rot-orders-itsm-1', NOW - ABANDONED_LOCK_MS - 1)).toBe(true);
    const result = await startRotation(d, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-1' });
    expect(result.kind).toBe('started');
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: 'rot-orders-itsm-1', takenAt: NOW, recorded: true });
  });

  /** The first `n` reads of a run miss it, as an attempt that read the ledger just before another attempt wrote it. */
  const staleReads = (ledger: MemoryRotationLedger, n: number): void => {
    const get = ledger.get.bind(ledger);
    let misses = n;
    ledger.get = async (id) => (misses-- > 0 ? null : get(id));
  };

  it('a second attempt of the same derived id, started before the first recorded its run, returns that run and leaves its lock', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    const first = await startRotation(d, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-2' });
    expect(first.kind).toBe('started');
    staleReads(ledger, 1);
    const second = await startRotation(d, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-2' });
    expect(second).toEqual(first);
    expect(d.queued).toHaveLength(1);
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: 'rot-orders-itsm-2', recorded: true });
  });

  it('a second attempt whose own plan is refused (the first run\'s half-imported material) does not free the running run\'s lock', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    const first = await startRotation(d, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-3' });
    expect(first.kind).toBe('started');
    // It missed the run twice (before and just after taking the lock), and plans against the half-imported vaults.
    staleReads(ledger, 2);
    const second = await startRotation({ ...d, keys: halfImported as RotationKeys }, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-3' });
    expect(second).toEqual(first);
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: 'rot-orders-itsm-3', recorded: true });
    expect((await ledger.get('rot-orders-itsm-3'))?.run.status).toBe('running');
  });

  it('a second attempt of the same derived id whose planning fails does not free the lock of the run the first recorded', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys };
    const first = await startRotation(d, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-4' });
    expect(first.kind).toBe('started');
    staleReads(ledger, 2);
    const failing: StartDeps = { ...d, keys: { listVersions: async () => Promise.reject(new Error('vault unreachable')) } as unknown as RotationKeys };
    await expect(startRotation(failing, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-4' })).rejects.toThrow('vault unreachable');
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: 'rot-orders-itsm-4', recorded: true });
  });

  it('a second attempt that records its refused plan after the first recorded the run returns that run, not its refusal', async () => {
    const ledger = new MemoryRotationLedger();
    const d = deps(ledger);
    // The first attempt recorded run X; its lock is put back as not yet confirmed.
    const running = await startRotation({ ...d, keys: consistent as RotationKeys }, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-5' });
    if (running.kind !== 'started') throw new Error(`expected started, got ${running.kind}`);
    await ledger.releaseLock('orders', 'rot-orders-itsm-5');
    expect(await ledger.acquireLock('orders', 'rot-orders-itsm-5', NOW)).toBe(true);
    staleReads(ledger, 2);
    const second = await startRotation({ ...d, keys: halfImported as RotationKeys }, 'orders', { requestedBy: 'itsm', runId: 'rot-orders-itsm-5' });
    expect(second).toEqual({ kind: 'started', run: running.run });
    expect((await ledger.get('rot-orders-itsm-5'))?.run.status).toBe('running');
    // Its give-back freed the unconfirmed lock: the first attempt's confirmation now fails and it withdraws X (named in
    // the closing note as a residual: an ITSM request then ends refused and is sent again).
    expect(await ledger.confirmLock('orders', 'rot-orders-itsm-5')).toBe(false);
  });

  it('a run recorded but not queued (Redis failed the enqueue) keeps its lock and stays running, for the queue sweep to queue', async () => {
    const ledger = new MemoryRotationLedger();
    const d = { ...deps(ledger), keys: consistent as RotationKeys, queue: { enqueue: async () => Promise.reject(new Error('redis connection lost')) } };
    const result = await startRotation(d, 'orders', { requestedBy: 'itsm' });
    expect(result.kind).toBe('started');
    const [run] = await ledger.listRunning();
    expect(run?.id).toBe(result.kind === 'started' ? result.run.id : undefined);
    expect(await ledger.lockHolder('orders')).toMatchObject({ runId: run?.id, recorded: true });
  });

  it('does not take over the lock of a running run, however old', async () => {
    const ledger = new MemoryRotationLedger();
    const first = await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' });
    if (first.kind !== 'refused') throw new Error(`expected a refused run, got ${first.kind}`);
    const running = { ...first.run, id: 'rot-orders-running-2', status: 'running' as const };
    expect((await ledger.create(running)).ok).toBe(true);
    expect(await ledger.acquireLock('orders', running.id, NOW - 10 * ABANDONED_LOCK_MS)).toBe(true);
    expect(await startRotation(deps(ledger), 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'busy', protector: 'orders' });
  });
});

describe('startRotation when the topology cannot be checked', () => {
  it('answers unavailable (ask again), records nothing and leaves the protector unlocked', async () => {
    const ledger = new MemoryRotationLedger();
    const d = deps(ledger);
    const unverified: StartDeps = { ...d, estates: { current: d.estates.current, fresh: async () => Promise.reject(new EstateUnverifiedError('discovery store down')) } };
    expect(await startRotation(unverified, 'orders', { requestedBy: 'itsm' })).toEqual({ kind: 'unavailable', reason: 'discovery store down' });
    expect(await startRotation(unverified, 'orders', { requestedBy: 'itsm', dryRun: true })).toEqual({ kind: 'unavailable', reason: 'discovery store down' });
    expect(await ledger.lockHolder('orders')).toBeNull();
    expect(await ledger.listRunning()).toEqual([]);
    expect(d.queued).toEqual([]);
  });
});
