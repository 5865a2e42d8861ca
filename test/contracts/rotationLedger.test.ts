// RotationLedger contract against the memory fake and Table Storage on a real Azurite: compare-and-set updates (a
// stale writer loses), create-once, one lock per protector held by one run, staged material per run, listings; and the
// queue giving up on a step (abandonStep) over each ledger: never a failed run under a live claim.
import { describe, expect, it } from 'vitest';
import { TableRotationLedger } from '../../adapters/tables/rotationLedger.js';
import { MemoryRotationLedger } from '../../app/rotation/memoryLedger.js';
import type { RotationLedger } from '../../app/rotation/ports.js';
import { claimStep, newRun, type RotationRun } from '../../domain/rotation/run.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import { FakeClaimClock } from '../../app/fakes/fakeClaimClock.js';
import { abandonStep } from '../../app/rotation/executor.js';
import { claim, giveUp } from '../../app/rotation/stepClaims.js';

const azurite = useAzurite();

function run(id: string, protector = 'orders-sql'): RotationRun {
  return newRun(
    {
      protector,
      strategy: 'import',
      preflight: [{ check: 'strategy', ok: true, reason: 'import' }],
      steps: [
        { n: 1, kind: 'preflight' },
        { n: 2, kind: 'install-version', role: 'secondary', member: '/s/wus', vault: 'kv-wus' },
      ],
    },
    id,
    'test',
    '2026-11-22T10:00:00.000Z',
  );
}

function ledgerContract(name: string, make: () => RotationLedger & { listRunning(): Promise<RotationRun[]>; listByProtector(p: string): Promise<RotationRun[]> }): void {
  describe(`RotationLedger contract: ${name}`, () => {
    it('creates a run once and reads it back whole, claims included', async () => {
      const l = make();
      const r = run('rot-a-1');
      expect((await l.create(r)).ok).toBe(true);
      expect((await l.create(r)).ok).toBe(false);
      const got = await l.get(r.id);
      expect(got?.run).toEqual(r);
      const claimed = claimStep(r, 2, 'token-1', Date.parse('2026-11-22T10:00:01Z'), 30_000);
      if (claimed.kind !== 'claimed') throw new Error('not claimed');
      expect((await l.update(claimed.run, got?.etag ?? '')).ok).toBe(true);
      expect((await l.get(r.id))?.run.steps[1]?.claim).toEqual({ token: 'token-1', until: '2026-11-22T10:00:31.000Z' });
      expect(await l.get('rot-missing')).toBeNull();
    });

    it('compare-and-set: of two writers from the same version, exactly one lands', async () => {
      const l = make();
      const r = run('rot-b-1');
      await l.create(r);
      const read = await l.get(r.id);
      const a = await l.update({ ...r, requestedBy: 'a' }, read?.etag ?? '');
      const b = await l.update({ ...r, requestedBy: 'b' }, read?.etag ?? '');
      expect([a.ok, b.ok]).toEqual([true, false]);
      expect((await l.get(r.id))?.run.requestedBy).toBe('a');
      expect((await l.update({ ...r, id: 'rot-none' }, read?.etag ?? '')).ok).toBe(false);
    });

    it('one lock per protector, held by one run, released only by its holder', async () => {
      const l = make();
      expect(await l.acquireLock('orders-sql', 'rot-1')).toBe(true);
      expect(await l.acquireLock('orders-sql', 'rot-1')).toBe(true);
      expect(await l.acquireLock('orders-sql', 'rot-2')).toBe(false);
      expect(await l.acquireLock('cards-ae', 'rot-2')).toBe(true);
      await l.releaseLock('orders-sql', 'rot-2');
      expect(await l.acquireLock('orders-sql', 'rot-3')).toBe(false);
      await l.releaseLock('orders-sql', 'rot-1');
      expect(await l.acquireLock('orders-sql', 'rot-3')).toBe(true);
    });

    it('names the lock holder and its time, and hands an abandoned lock over only by compare-and-set', async () => {
      const l = make();
      expect(await l.lockHolder('reclaim-sql')).toBeNull();
      expect(await l.acquireLock('reclaim-sql', 'rot-old', 1_000)).toBe(true);
      const held = await l.lockHolder('reclaim-sql');
      expect(held).toMatchObject({ runId: 'rot-old', takenAt: 1_000 });
      expect(await l.replaceLock('reclaim-sql', held!, 'rot-new', 999_000)).toBe(true);
      // The version read before the takeover is stale now: a second contender loses.
      expect(await l.replaceLock('reclaim-sql', held!, 'rot-third', 999_500)).toBe(false);
      expect(await l.lockHolder('reclaim-sql')).toMatchObject({ runId: 'rot-new', takenAt: 999_000 });
      expect(await l.acquireLock('reclaim-sql', 'rot-old')).toBe(false);
      await l.releaseLock('reclaim-sql', 'rot-old');
      expect((await l.lockHolder('reclaim-sql'))?.runId).toBe('rot-new');
      await l.releaseLock('reclaim-sql', 'rot-new');
      expect(await l.lockHolder('reclaim-sql')).toBeNull();
      expect(await l.replaceLock('reclaim-sql', held!, 'rot-late', 1)).toBe(false);
      expect(await l.acquireLock('reclaim-untimed', 'rot-u')).toBe(true);
      expect(await l.lockHolder('reclaim-untimed')).toMatchObject({ runId: 'rot-u', takenAt: null });
    });

    it('confirms a lock for its holder only, and a confirmation and a takeover of the same version cannot both win', async () => {
      const l = make();
      expect(await l.acquireLock('confirm-sql', 'rot-a', 5_000)).toBe(true);
      expect(await l.lockHolder('confirm-sql')).toMatchObject({ runId: 'rot-a', takenAt: 5_000, recorded: false });
      expect(await l.confirmLock('confirm-sql', 'rot-b')).toBe(false);
      const before = await l.lockHolder('confirm-sql');
      expect(await l.confirmLock('confirm-sql', 'rot-a')).toBe(true);
      expect(await l.lockHolder('confirm-sql')).toMatchObject({ runId: 'rot-a', takenAt: 5_000, recorded: true });
      // A takeover decided on the version read before the confirmation loses.
      expect(await l.replaceLock('confirm-sql', before!, 'rot-b', 99_000)).toBe(false);
      // And the other way round: once taken over, the old holder cannot confirm.
      expect(await l.acquireLock('confirm-2', 'rot-c', 1)).toBe(true);
      expect(await l.replaceLock('confirm-2', (await l.lockHolder('confirm-2'))!, 'rot-d', 2)).toBe(true);
      expect(await l.confirmLock('confirm-2', 'rot-c')).toBe(false);
      expect(await l.lockHolder('confirm-2')).toMatchObject({ runId: 'rot-d', recorded: false });
      expect(await l.confirmLock('confirm-sql', 'rot-a')).toBe(true);
      expect(await l.confirmLock('nothing-held', 'rot-a')).toBe(false);
    });

    it('a starter gives back only its own unconfirmed lock: never another run\'s, never a confirmed one', async () => {
      const l = make();
      expect(await l.acquireLock('give-back', 'rot-a', 1)).toBe(true);
      await l.releaseUnrecordedLock('give-back', 'rot-b');
      expect((await l.lockHolder('give-back'))?.runId).toBe('rot-a');
      await l.releaseUnrecordedLock('give-back', 'rot-a');
      expect(await l.lockHolder('give-back')).toBeNull();
      expect(await l.acquireLock('give-back', 'rot-c', 2)).toBe(true);
      expect(await l.confirmLock('give-back', 'rot-c')).toBe(true);
      await l.releaseUnrecordedLock('give-back', 'rot-c');
      expect(await l.lockHolder('give-back')).toMatchObject({ runId: 'rot-c', recorded: true });
      await l.releaseUnrecordedLock('nothing-held', 'rot-c');
      // A renewal that keeps the holder does not make a later confirmation fail.
      expect(await l.acquireLock('renewed', 'rot-d', 1)).toBe(true);
      expect(await l.replaceLock('renewed', (await l.lockHolder('renewed'))!, 'rot-d', 5)).toBe(true);
      expect(await l.confirmLock('renewed', 'rot-d')).toBe(true);
      expect(await l.lockHolder('renewed')).toMatchObject({ runId: 'rot-d', takenAt: 5, recorded: true });
    });

    it('keeps staged material per run until dropped (dropping twice is fine)', async () => {
      const l = make();
      await l.putStaged('rot-s-1', 'sealed-one');
      await l.putStaged('rot-s-2', 'x'.repeat(100_000));
      expect(await l.getStaged('rot-s-1')).toBe('sealed-one');
      expect(await l.getStaged('rot-s-2')).toHaveLength(100_000);
      await l.dropStaged('rot-s-1');
      await l.dropStaged('rot-s-1');
      expect(await l.getStaged('rot-s-1')).toBeNull();
    });

    it('the queue giving up (abandonStep) leaves a run whose step a worker holds live, and fails it once the claim lapsed', async () => {
      const l = make();
      const r = run('rot-g-1', 'giveup-sql');
      await l.create(r);
      expect(await l.acquireLock(r.protector, r.id)).toBe(true);
      await l.putStaged(r.id, 'sealed-material');
      const shared = new FakeClaimClock(Date.parse('2026-11-22T10:00:01Z'));
      const deps = { ledger: l, claimClock: shared, log: silentLogger };
      const beforeClaim = await l.get(r.id);
      // A worker whose own clock runs 7 minutes ahead claims step 2: its claim runs 30 s on the shared clock.
      const claimed = await claim({ ...deps, clock: { now: () => Date.parse('2026-11-22T10:07:01Z') } }, r.id, 2, 'worker-a', 30_000);
      expect(claimed).toMatchObject({ kind: 'claimed', until: '2026-11-22T10:00:31.000Z' });

      expect(await abandonStep(deps, r.id, 2, 'job out of attempts')).toEqual({ kind: 'deferred', reason: 'a worker holds step 2 until 2026-11-22T10:00:31.000Z' });
      // A give-up decided on a version read before the claim does not land (ETag): it reads again and sees the claim.
      const stale = await giveUp(deps, r.id, 2, { code: 'retries_exhausted', message: 'stale' }, beforeClaim);
      expect(stale.decision.kind).toBe('held');
      const kept = await l.get(r.id);
      expect(kept?.run.status).toBe('running');
      expect(kept?.run.steps[1]).toMatchObject({ status: 'running', claim: { token: 'worker-a' } });
      expect(await l.getStaged(r.id)).toBe('sealed-material');
      expect(await l.acquireLock(r.protector, 'rot-g-other')).toBe(false);

      shared.advance(30_000); // the claim ends at its `until`
      expect(await abandonStep(deps, r.id, 2, 'job out of attempts')).toEqual({ kind: 'failed' });
      const failed = await l.get(r.id);
      expect(failed?.run.status).toBe('failed-needs-operator');
      expect(failed?.run.steps[1]).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted', message: 'job out of attempts' } });
      expect(failed?.run.steps[1]?.claim).toBeUndefined();
      expect(await l.getStaged(r.id)).toBeNull();
      expect(await l.acquireLock(r.protector, 'rot-g-other')).toBe(true);
      expect(await abandonStep(deps, r.id, 2, 'again')).toEqual({ kind: 'ended' });
    });

    it('lists running runs and the runs of a protector', async () => {
      const l = make();
      await l.create(run('rot-l-1', 'p1'));
      await l.create({ ...run('rot-l-2', 'p1'), status: 'completed' });
      await l.create(run('rot-l-3', 'p2'));
      expect((await l.listRunning()).map((r) => r.id).filter((id) => id.startsWith('rot-l-')).sort()).toEqual(['rot-l-1', 'rot-l-3']);
      expect((await l.listByProtector('p1')).map((r) => r.id).sort()).toEqual(['rot-l-1', 'rot-l-2']);
    });
  });
}

ledgerContract('memory', () => new MemoryRotationLedger());
ledgerContract('table', () => new TableRotationLedger(azurite().connection, { runsTable: uniqueTableName('runs'), locksTable: uniqueTableName('locks') }));
