// Rotation run transitions: ids safe for BullMQ, and I2 enforced whatever order steps are offered in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockedBy, claimStep, completeStep, failStep, finishStep, giveUpStep, isRotationId, liveClaim, newRun, releaseClaim, renewClaim, rotationId, stepJobId, type RotationRun } from '../../../domain/rotation/run.js';
import type { RotationPlan } from '../../../domain/rotation/steps.js';

const NOW = '2026-11-22T00:00:00.000Z';

/** Step n started by a worker (its claim). */
function startStep(run: RotationRun, n: number, nowIso: string): RotationRun {
  const d = claimStep(run, n, 'worker', Date.parse(nowIso), 30_000);
  if (d.kind !== 'claimed') throw new Error(`step ${n}: ${d.kind}`);
  return d.run;
}
const plan: RotationPlan = {
  protector: 'orders-sql',
  strategy: 'import',
  preflight: [{ check: 'members', ok: true, reason: 'ok' }],
  steps: [
    { n: 1, kind: 'preflight' },
    { n: 2, kind: 'create-material' },
    { n: 3, kind: 'install-version', role: 'secondary', member: 's1', vault: 'kv-b' },
    { n: 4, kind: 'install-version', role: 'primary', member: 'p', vault: 'kv-a' },
    { n: 5, kind: 'verify-thumbprints' },
    { n: 6, kind: 'switch-protector', role: 'secondary', member: 's1', vault: 'kv-b' },
    { n: 7, kind: 'switch-protector', role: 'primary', member: 'p', vault: 'kv-a' },
    { n: 8, kind: 'verify' },
    { n: 9, kind: 'retain-previous' },
  ],
};

describe('rotation ids (BullMQ job id rules)', () => {
  it.each([
    ['orders-sql', 'ab12cd34'],
    ['Orders:SQL', 'ab12cd34'],
    ['12345', '99'],
    ['::::', 'zz'],
  ])('rotationId(%j) has no ":" and is not a plain integer', (protector, random) => {
    const id = rotationId(protector, 1_790_000_000_000, random);
    expect(id).not.toContain(':');
    expect(/^\d+$/.test(id)).toBe(false);
    expect(isRotationId(id)).toBe(true);
    expect(stepJobId(id, 3)).toBe(`${id}-s3`);
  });
  it('stepJobId refuses an id with ":"', () => {
    expect(() => stepJobId('rot:x', 1)).toThrow();
  });
  it('never produces an unsafe id for arbitrary protector names', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.nat(), (p: string, r: string, t: number) => isRotationId(rotationId(p, t, r)) && !rotationId(p, t, r).includes(':')));
  });
});

describe('run transitions', () => {
  it('a failed preflight makes a refused run', () => {
    expect(newRun({ ...plan, preflight: [{ check: 'soft-delete:kv-a', ok: false, reason: 'unknown: …' }] }, 'rot-x-1-a', 'test', NOW).status).toBe('refused');
  });

  it('no primary step, and no switch, may start before the secondary / material steps are done (I2)', () => {
    let run: RotationRun = newRun(plan, 'rot-x-1-a', 'test', NOW);
    expect(blockedBy(run, 4)).toMatch(/not done/);
    for (const n of [1, 2]) run = completeStep(startStep(run, n, NOW), n, {}, NOW);
    expect(blockedBy(run, 3)).toBeNull();
    expect(blockedBy(run, 4)).toMatch(/step 3/);
    expect(blockedBy(run, 6)).toMatch(/not done/);
  });

  it('whatever order steps are offered in, a step runs only when everything before it is done', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 60 }), (offers) => {
        let run: RotationRun = newRun(plan, 'rot-x-1-a', 'test', NOW);
        const order: number[] = [];
        for (const n of offers) {
          if (run.steps.find((s) => s.n === n)?.status === 'done' || blockedBy(run, n) !== null) continue;
          run = completeStep(startStep(run, n, NOW), n, {}, NOW);
          order.push(n);
        }
        expect(order).toEqual([...order].sort((a, b) => a - b));
        const done = new Set(order);
        if (done.has(7)) expect([3, 4, 5, 6].every((n) => done.has(n))).toBe(true);
      }),
    );
  });

  it('completing every step completes the run; a failed step fails it for an operator', () => {
    let run: RotationRun = newRun(plan, 'rot-x-1-a', 'test', NOW);
    for (const s of plan.steps) run = completeStep(startStep(run, s.n, NOW), s.n, {}, NOW);
    expect(run.status).toBe('completed');
    const failed = failStep(startStep(newRun(plan, 'rot-x-1-b', 'test', NOW), 1, NOW), 1, { code: 'x', message: 'y' }, NOW);
    expect(failed.status).toBe('failed-needs-operator');
  });
});

describe('step claims (R-2)', () => {
  const T0 = Date.parse(NOW);
  const LEASE = 30_000;
  const base = (): RotationRun => newRun(plan, 'rot-orders-sql-claims', 'test', NOW);
  const claimed = (run: RotationRun, token: string, at: number): RotationRun => {
    const d = claimStep(run, 3, token, at, LEASE);
    if (d.kind !== 'claimed') throw new Error(`expected a claim, got ${d.kind}`);
    return d.run;
  };

  it.each([
    ['free step', null, T0, 'claimed'],
    ['own live claim', 'a', T0 + 10_000, 'claimed'],
    ["another's live claim", 'b', T0 + 10_000, 'held'],
    ["another's claim at its very end", 'b', T0 + LEASE, 'claimed'],
    ["another's lapsed claim", 'b', T0 + LEASE + 1, 'claimed'],
  ] as const)('%s → %s', (_name, holder, at, expected) => {
    const run = holder === null ? base() : claimed(base(), holder, T0);
    expect(claimStep(run, 3, 'a', at, LEASE).kind).toBe(expected);
  });

  it('a new holder is a new attempt; renewing its own claim is not; a done step is never claimed', () => {
    const a = claimed(base(), 'a', T0);
    expect(a.steps[2]).toMatchObject({ status: 'running', attempts: 1, claim: { token: 'a', until: new Date(T0 + LEASE).toISOString() } });
    expect(claimed(a, 'a', T0 + 1000).steps[2]?.attempts).toBe(1);
    expect(claimed(a, 'b', T0 + LEASE + 1).steps[2]?.attempts).toBe(2);
    const done = completeStep(claimed(base(), 'a', T0), 3, { note: 'ok' }, NOW);
    expect(done.steps[2]?.claim).toBeUndefined();
    expect(claimStep(done, 3, 'b', T0, LEASE)).toEqual({ kind: 'done' });
  });

  it('only the holder of a live claim renews it; release hands it back to anyone at once', () => {
    const a = claimed(base(), 'a', T0);
    expect(renewClaim(a, 3, 'a', T0 + 20_000, LEASE)?.steps[2]?.claim?.until).toBe(new Date(T0 + 20_000 + LEASE).toISOString());
    expect(renewClaim(a, 3, 'b', T0 + 20_000, LEASE)).toBeNull();
    expect(renewClaim(a, 3, 'a', T0 + LEASE + 1, LEASE)).toBeNull();
    expect(releaseClaim(a, 3, 'b')).toBeNull();
    const released = releaseClaim(a, 3, 'a');
    expect(released?.steps[2]?.claim).toBeUndefined();
    expect(claimStep(released as RotationRun, 3, 'b', T0 + 1, LEASE).kind).toBe('claimed');
  });

  it('property: whatever the interleaving of claims and renewals, at most one token can act (renew) at any instant', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ who: fc.constantFrom('a', 'b', 'c'), dt: fc.integer({ min: 0, max: 40_000 }), op: fc.constantFrom('claim', 'renew') }), { maxLength: 40 }), (ops) => {
        let run = base();
        let t = T0;
        for (const o of ops) {
          t += o.dt;
          if (o.op === 'claim') {
            const d = claimStep(run, 3, o.who, t, LEASE);
            if (d.kind === 'claimed') run = d.run;
          } else run = renewClaim(run, 3, o.who, t, LEASE) ?? run;
          const actors = ['a', 'b', 'c'].filter((w) => renewClaim(run, 3, w, t, LEASE) !== null);
          expect(actors.length).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('a claim ends at its `until`, exclusive: live one ms before, lapsed at it', () => {
    const a = claimed(base(), 'a', T0);
    expect(liveClaim(a, 3, T0 + LEASE - 1)?.token).toBe('a');
    expect(liveClaim(a, 3, T0 + LEASE)).toBeNull();
    expect(liveClaim(a, 4, T0)).toBeNull();
  });

  it('nothing of an ended run is claimed again', () => {
    const failed = failStep(claimed(base(), 'a', T0), 3, { code: 'x', message: 'y' }, NOW);
    expect(claimStep(failed, 3, 'b', T0 + 1, LEASE)).toEqual({ kind: 'ended' });
    expect(claimStep(failed, 4, 'b', T0 + 1, LEASE)).toEqual({ kind: 'ended' });
    expect(renewClaim(failed, 3, 'a', T0 + 1, LEASE)).toBeNull();
  });
});

describe('the end of an attempt (finishStep) and the queue giving up (giveUpStep)', () => {
  const T0 = Date.parse(NOW);
  const LEASE = 30_000;
  const ERR = { code: 'retries_exhausted', message: 'out of attempts' };
  const held = (token: string, at: number): RotationRun => {
    const d = claimStep(newRun(plan, 'rot-orders-sql-end', 'test', NOW), 3, token, at, LEASE);
    if (d.kind !== 'claimed') throw new Error(d.kind);
    return d.run;
  };

  it.each([
    ['the holder, claim live', 'a', T0 + 1000, 'finished'],
    ['the holder, claim lapsed and nobody took it', 'a', T0 + LEASE + 1, 'finished'],
    ['another worker, claim live', 'b', T0 + 1000, 'superseded'],
    ['another worker, claim lapsed', 'b', T0 + LEASE, 'finished'],
  ] as const)('finishStep by %s → %s', (_name, token, at, expected) => {
    const d = finishStep(held('a', T0), 3, token, { outcome: { note: 'ok' } }, at);
    expect(d.kind).toBe(expected);
    if (d.kind === 'superseded') expect(d.until).toBe(new Date(T0 + LEASE).toISOString());
    if (d.kind === 'finished') expect(d.run.steps[2]).toMatchObject({ status: 'done', finishedAt: new Date(at).toISOString() });
  });

  it('finishStep with an error fails the run; on a done step or an ended run it writes nothing', () => {
    const d = finishStep(held('a', T0), 3, 'a', { error: { code: 'x', message: 'y' } }, T0 + 1);
    expect(d.kind === 'finished' && d.run.status).toBe('failed-needs-operator');
    const done = completeStep(held('a', T0), 3, {}, NOW);
    expect(finishStep(done, 3, 'a', { error: { code: 'x', message: 'y' } }, T0 + 1)).toEqual({ kind: 'done' });
    const ended = failStep(held('a', T0), 3, { code: 'x', message: 'y' }, NOW);
    expect(finishStep({ ...ended, steps: ended.steps.map((s) => (s.n === 4 ? { ...s, status: 'running' as const } : s)) }, 4, 'a', { outcome: {} }, T0 + 1)).toEqual({ kind: 'ended' });
  });

  it.each([
    ['a live claim', T0 + LEASE - 1, 'held'],
    ['a claim at its end', T0 + LEASE, 'failed'],
    ['a lapsed claim', T0 + 10 * LEASE, 'failed'],
  ] as const)('giveUpStep on a step with %s → %s', (_name, at, expected) => {
    const d = giveUpStep(held('a', T0), 3, ERR, at);
    expect(d.kind).toBe(expected);
    if (d.kind === 'failed') expect(d.run.steps[2]).toMatchObject({ status: 'failed', error: ERR });
    if (d.kind === 'failed') expect(d.run.steps[2]?.claim).toBeUndefined();
  });

  it('giveUpStep: an ended run stays as it is; a step done meanwhile passes the failure to the first step not done', () => {
    expect(giveUpStep(failStep(held('a', T0), 3, ERR, NOW), 3, ERR, T0)).toEqual({ kind: 'ended' });
    let run = held('a', T0);
    for (const n of [1, 2, 3]) run = completeStep(run, n, {}, NOW);
    const d = giveUpStep(run, 3, ERR, T0);
    expect(d.kind === 'failed' && d.run.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'failed', 'pending', 'pending', 'pending', 'pending', 'pending']);
  });

  it('property: giveUpStep never fails a run while any claim on the step is live, and always does once none is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * LEASE }), fc.integer({ min: 0, max: 3 * LEASE }), (claimAt, at) => {
        const d = giveUpStep(held('a', T0 + claimAt), 3, ERR, T0 + at);
        expect(d.kind).toBe(T0 + at < T0 + claimAt + LEASE ? 'held' : 'failed');
      }),
    );
  });
});

