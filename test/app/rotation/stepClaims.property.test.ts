// The step claim state machine as workers really drive it (app/rotation/stepClaims.ts over the memory ledger):
// several workers whose own clocks are skewed by up to ±10 minutes, one shared claim time that moves on and may become
// unreachable, and the queue giving up — every ledger read, write and time reading interleaved in any order by
// fast-check's scheduler (a reading can be stale by the time its write lands). Whatever happens:
//   - never two live holders: no two workers at once believe they hold the step (a belief is the `until` their last
//     successful claim or renewal returned, judged at the shared time);
//   - a completed step is never claimed again: once the ledger says done, it stays done and unclaimed;
//   - the queue's giving up never fails the run while a worker believes it holds the step;
//   - with the shared time unreachable, an operation writes nothing and says so (ClaimTimeUnknownError).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClaimClock } from '../../../app/fakes/fakeClaimClock.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import type { RotationLedger } from '../../../app/rotation/ports.js';
import { claim, finish, giveUp, release, renew, type ClaimDeps } from '../../../app/rotation/stepClaims.js';
import { ClaimTimeUnknownError } from '../../../app/rotation/stepErrors.js';
import { newRun, type RotationRun } from '../../../domain/rotation/run.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const LEASE = 30_000;
const MIN = 60_000;
const N = 2; // the step under test (step 1 is done, so step 2 may run)

function startRun(): RotationRun {
  const run = newRun(
    {
      protector: 'orders',
      strategy: 'import',
      preflight: [{ check: 'members', ok: true, reason: 'ok' }],
      steps: [
        { n: 1, kind: 'preflight' },
        { n: 2, kind: 'install-version', role: 'secondary', member: 's', vault: 'kv-b' },
        { n: 3, kind: 'install-version', role: 'primary', member: 'p', vault: 'kv-a' },
      ],
    },
    'rot-orders-prop',
    'test',
    new Date(T0).toISOString(),
  );
  return { ...run, steps: run.steps.map((s) => (s.n === 1 ? { ...s, status: 'done' } : s)) };
}

type WorkerOp = 'claim' | 'renew' | 'release' | 'complete' | 'fail';
type Actor = { kind: 'worker'; skewMs: number; ops: WorkerOp[] } | { kind: 'time'; steps: Array<{ advanceMs: number; reachable: boolean }> } | { kind: 'queue'; giveUps: number };

const workerArb = fc.record({
  kind: fc.constant('worker' as const),
  skewMs: fc.integer({ min: -10 * MIN, max: 10 * MIN }),
  ops: fc.array(fc.constantFrom<WorkerOp>('claim', 'claim', 'renew', 'renew', 'release', 'complete', 'fail'), { minLength: 1, maxLength: 12 }),
});
const timeArb = fc.record({
  kind: fc.constant('time' as const),
  steps: fc.array(fc.record({ advanceMs: fc.integer({ min: 0, max: 2 * LEASE }), reachable: fc.constantFrom(true, true, true, false) }), { maxLength: 12 }),
});
const queueArb = fc.record({ kind: fc.constant('queue' as const), giveUps: fc.integer({ min: 0, max: 2 }) });

describe('step claims under any interleaving, skewed worker clocks, one shared time', () => {
  it('never two live holders; a completed step is never re-claimed; no give-up under a holder; nothing written without the time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(workerArb, { minLength: 2, maxLength: 4 }), timeArb, queueArb, async (s, workers, time, queue) => {
        const shared = new FakeClaimClock(T0);
        const store = new MemoryRotationLedger();
        await store.create(startRun());
        const tick = (): Promise<void> => s.schedule(Promise.resolve());
        /** The ledger as one actor sees it: every call at a moment the scheduler picks, its writes counted. */
        const ledgerOf = (writes: { n: number }): RotationLedger =>
          Object.assign(Object.create(store) as RotationLedger, {
            get: async (id: string) => {
              await tick();
              return store.get(id);
            },
            update: async (r: RotationRun, etag: string) => {
              await tick();
              writes.n++;
              return store.update(r, etag);
            },
          });
        const depsOf = (skewMs: number, writes: { n: number }): ClaimDeps => ({
          ledger: ledgerOf(writes),
          claimClock: {
            now: async () => {
              await tick();
              return shared.now();
            },
          },
          clock: { now: () => shared.peek() + skewMs },
        });

        /** The `until` (shared ms) each worker last got, while it believes it holds the step. */
        const beliefs = new Map<number, number>();
        const liveHolders = (): number[] => [...beliefs].filter(([, until]) => until > shared.peek()).map(([w]) => w);
        let everDone = false;
        const stepNow = async () => (await store.get('rot-orders-prop'))?.run.steps.find((x) => x.n === N);
        const checkDone = async (): Promise<void> => {
          const step = await stepNow();
          if (step?.status === 'done') everDone = true;
          if (everDone) {
            expect(step?.status).toBe('done');
            expect(step?.claim).toBeUndefined();
          }
        };
        /** Runs one operation; with the shared time unreachable it must throw ClaimTimeUnknownError having written nothing. */
        const guarded = async <T>(writes: { n: number }, op: () => Promise<T>): Promise<T | null> => {
          const before = writes.n;
          try {
            return await op();
          } catch (err) {
            if (!(err instanceof ClaimTimeUnknownError)) throw err;
            expect(writes.n).toBe(before);
            return null;
          }
        };

        const actors = [...workers, time, queue] as Actor[];
        const runs = actors.map(async (actor, w) => {
          const writes = { n: 0 };
          if (actor.kind === 'time') {
            for (const step of actor.steps) {
              await tick();
              shared.advance(step.advanceMs);
              shared.reachable = step.reachable;
            }
            return;
          }
          const deps = depsOf(actor.kind === 'worker' ? actor.skewMs : 0, writes);
          if (actor.kind === 'queue') {
            for (let i = 0; i < actor.giveUps; i++) {
              const given = await guarded(writes, () => giveUp(deps, 'rot-orders-prop', N, { code: 'retries_exhausted', message: 'x' }, null));
              if (given?.decision.kind === 'failed') expect(liveHolders()).toEqual([]);
            }
            return;
          }
          const token = `worker-${w}`;
          for (const op of actor.ops) {
            if (op === 'claim') {
              const r = await guarded(writes, () => claim(deps, 'rot-orders-prop', N, token, LEASE));
              if (r?.kind === 'claimed') {
                expect(everDone).toBe(false);
                beliefs.set(w, Date.parse(r.until));
              }
            } else if (op === 'renew') {
              if (!beliefs.has(w)) continue; // only a worker that thinks it holds the step renews (its fence)
              const r = await guarded(writes, () => renew(deps, 'rot-orders-prop', N, token, LEASE, null));
              if (r?.kind === 'renewed') beliefs.set(w, Date.parse(r.until ?? ''));
              else if (r?.kind === 'lost') beliefs.delete(w);
            } else if (op === 'release') {
              beliefs.delete(w);
              await release(deps, 'rot-orders-prop', N, token, null);
            } else {
              if (!beliefs.has(w)) continue; // an attempt ends only after it ran
              beliefs.delete(w);
              const end = op === 'complete' ? { outcome: { note: `by ${token}` } } : { error: { code: 'x', message: 'y' } };
              await guarded(writes, () => finish(deps, 'rot-orders-prop', N, token, end, null));
            }
            expect(liveHolders().length).toBeLessThanOrEqual(1);
            await checkDone();
          }
        });
        await s.waitIdle();
        await Promise.all(runs);
        expect(liveHolders().length).toBeLessThanOrEqual(1);
        await checkDone();
      }),
      { numRuns: 300 },
    );
  });
});
