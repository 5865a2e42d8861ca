import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanStep, RotationPlan } from '../../../domain/rotation/plan.js';
import { buildRotationPlan, planInvariantViolations } from '../../../domain/rotation/plan.js';
import type { StepLike } from '../../../domain/rotation/invariants.js';
import { contosoDoc, estateOf, NOW } from './estateDocs.js';

const SUB = '/subscriptions/s/resourceGroups/rg/providers';

/** 1 primary + 0..4 secondaries at any position in the estate, each in one of up to 5 vaults (shared or distinct). */
const estateDoc = fc
  .record({
    vaultCount: fc.integer({ min: 1, max: 5 }),
    secondaries: fc.integer({ min: 0, max: 4 }),
    kind: fc.constantFrom('sql-tde' as const, 'cosmos-cmk' as const, 'cosmos-always-encrypted' as const),
    strategy: fc.constantFrom('import' as const, 'rotate' as const, null),
  })
  .chain(({ vaultCount, secondaries, kind, strategy }) =>
    fc.record({
      vaultCount: fc.constant(vaultCount),
      kind: fc.constant(kind),
      strategy: fc.constant(strategy),
      memberVaults: fc.array(fc.integer({ min: 0, max: vaultCount - 1 }), { minLength: secondaries + 1, maxLength: secondaries + 1 }),
      primaryAt: fc.integer({ min: 0, max: secondaries }),
    }),
  )
  .map(({ vaultCount, kind, strategy, memberVaults, primaryAt }) => ({
    vaults: Array.from({ length: vaultCount }, (_, i) => ({ name: `kv-gen-${i}` })),
    protectors: [
      {
        id: 'gen',
        kind,
        keyName: 'k',
        members: memberVaults.map((v, i) => ({
          role: i === primaryAt ? ('primary' as const) : ('secondary' as const),
          resourceId: `${SUB}/Microsoft.Sql/servers/Srv-${i}`,
          vault: `KV-GEN-${v}`,
        })),
        ...(strategy ? { rotation: { every: 'P90D', strategy } } : {}),
      },
    ],
  }));

function plan(doc: unknown): RotationPlan {
  const r = buildRotationPlan({ estate: estateOf(doc), protectorId: 'gen', now: NOW });
  if (!r.ok) throw new Error(r.error);
  return r.plan;
}

describe('rotation plan properties', () => {
  it('every generated plan satisfies the invariants; each member vault gets exactly one material step', () => {
    fc.assert(
      fc.property(estateDoc, (doc) => {
        const p = plan(doc);
        expect(planInvariantViolations(p)).toEqual([]);
        const members = doc.protectors[0]!.members;
        const vaults = [...new Set(members.map((m) => m.vault.toLowerCase()))].sort();
        const materialKind = p.strategy === 'import' ? 'install-version' : 'rotate-key';
        expect(p.steps.filter((s) => s.kind === materialKind).map((s) => s.vault).sort()).toEqual(vaults);
        expect(p.steps.filter((s) => s.kind === 'install-version' || s.kind === 'rotate-key')).toHaveLength(vaults.length);
        const switches = p.steps.filter((s) => s.kind === 'switch-protector');
        expect(switches).toHaveLength(doc.protectors[0]!.kind === 'sql-tde' ? members.length : 0);
        expect(switches.at(-1)?.role ?? 'primary').toBe('primary');
        // Keys absent rather than undefined on steps that act on no replica.
        for (const s of p.steps) expect(Object.values(s)).not.toContain(undefined);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planInvariantViolations catches broken plans', () => {
  const contoso = (): RotationPlan => {
    const r = buildRotationPlan({ estate: estateOf(contosoDoc()), protectorId: 'orders-sql', now: NOW });
    if (!r.ok) throw new Error(r.error);
    return r.plan;
  };
  const renumber = (steps: readonly StepLike[]): StepLike[] => steps.map((s, i) => ({ ...s, n: i + 1 }));
  const swap = <T,>(xs: readonly T[], i: number, j: number): T[] => {
    const out = [...xs];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  };

  it('a well-formed plan has none', () => {
    expect(planInvariantViolations(contoso())).toEqual([]);
  });

  it('(a) primary switch-protector swapped before the secondary one', () => {
    const steps = renumber(swap(contoso().steps, 5, 6));
    const v = planInvariantViolations({ steps });
    expect(v).toEqual([expect.stringMatching(/^secondaries first: step 7 switch-protector \(secondary .*sql-orders-wus\) comes after step 6 switch-protector \(primary/)]);
  });

  it('(a) primary install-version swapped before the secondary one', () => {
    const v = planInvariantViolations({ steps: renumber(swap(contoso().steps, 2, 3)) });
    expect(v).toEqual([expect.stringMatching(/^secondaries first: step 4 install-version \(secondary/)]);
  });

  it('(b) primary switch-protector before an install-version and before verify-thumbprints', () => {
    const steps = contoso().steps;
    // preflight, create, install(sec), switch(primary), install(pri), verify-thumbprints, switch(sec)...
    const broken = renumber([steps[0]!, steps[1]!, steps[2]!, steps[6]!, steps[3]!, steps[4]!, steps[5]!, steps[7]!, steps[8]!]);
    const v = planInvariantViolations({ steps: broken });
    expect(v).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^verified material: step 4 switch-protector \(primary .*\) comes before step 5 install-version/),
        expect.stringMatching(/^verified material: step 4 switch-protector \(primary .*\) comes before step 6 verify-thumbprints/),
        expect.stringMatching(/^secondaries first: step 7 switch-protector \(secondary/),
      ]),
    );
  });

  it('(b) a plan without verify-thumbprints', () => {
    const steps = renumber(contoso().steps.filter((s) => s.kind !== 'verify-thumbprints'));
    expect(planInvariantViolations({ steps })).toEqual([expect.stringMatching(/has no verify-thumbprints step before it/)]);
  });

  it('(b) rewrap-deks before verify-thumbprints', () => {
    const steps: PlanStep[] = [
      { n: 1, kind: 'preflight' },
      { n: 2, kind: 'create-material' },
      { n: 3, kind: 'install-version', role: 'primary', member: 'm', vault: 'v' },
      { n: 4, kind: 'rewrap-deks' },
      { n: 5, kind: 'verify-thumbprints' },
      { n: 6, kind: 'verify' },
      { n: 7, kind: 'retain-previous' },
    ];
    expect(planInvariantViolations({ steps })).toEqual(['verified material: step 4 rewrap-deks comes before step 5 verify-thumbprints']);
  });

  it('(c) numbering gaps and duplicates', () => {
    const steps = contoso().steps.map((s) => (s.n === 4 ? { ...s, n: 3 } : s));
    expect(planInvariantViolations({ steps })).toEqual(['numbering: step at position 4 is numbered 3']);
  });

  it('(d) preflight not first, retain-previous not last, empty plan', () => {
    const steps = renumber(swap(contoso().steps, 0, 1).slice(0, -1));
    expect(planInvariantViolations({ steps })).toEqual([
      'bookends: first step is step 1 create-material, not preflight',
      'bookends: last step is step 8 verify, not retain-previous',
    ]);
    expect(planInvariantViolations({ steps: [] })).toEqual(['bookends: first step is missing, not preflight', 'bookends: last step is missing, not retain-previous']);
  });

  it('(e) a step that disables, deletes or purges', () => {
    const steps = contoso().steps;
    const withKinds = (kind: string) => renumber([...steps.slice(0, -1), { n: 0, kind, role: 'secondary', member: 'm' }, steps.at(-1)!]);
    for (const kind of ['disable-previous', 'delete-version', 'purge-key', 'revoke-access']) {
      expect(planInvariantViolations({ steps: withKinds(kind) })).toEqual([`destructive: step 9 ${kind} (secondary m) deletes, disables or purges`]);
    }
  });
});
