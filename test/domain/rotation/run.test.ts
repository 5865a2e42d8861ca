// Rotation run transitions: ids safe for BullMQ, and I2 enforced whatever order steps are offered in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockedBy, completeStep, failStep, isRotationId, newRun, rotationId, startStep, stepJobId, type RotationRun } from '../../../domain/rotation/run.js';
import type { RotationPlan } from '../../../domain/rotation/steps.js';

const NOW = '2026-11-22T00:00:00.000Z';
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
