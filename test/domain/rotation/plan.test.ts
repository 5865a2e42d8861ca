import { describe, expect, it } from 'vitest';
import { checkGeoKeyMaterial } from '../../../domain/findings/geoMaterial.js';
import type { EstateInput } from '../../../domain/estate/schema.js';
import type { PlanResult, RotationPlan } from '../../../domain/rotation/plan.js';
import { buildRotationPlan, planInvariantViolations } from '../../../domain/rotation/plan.js';
import type { PreflightObserved } from '../../../domain/rotation/preflight.js';
import { contosoDoc, estateOf, EUS, healthyDoc, KEY, NOW, PRIMARY, protectorOf, SECONDARY, SUB, tp, version, WUS } from './estateDocs.js';

function planOf(doc: EstateInput, observed?: PreflightObserved, protectorId = 'orders-sql'): RotationPlan {
  const r: PlanResult = buildRotationPlan({ estate: estateOf(doc), protectorId, now: NOW, observed });
  if (!r.ok) throw new Error(r.error);
  expect(planInvariantViolations(r.plan)).toEqual([]);
  return r.plan;
}

const kinds = (plan: RotationPlan) => plan.steps.map((s) => s.kind);

function withProtector(doc: EstateInput, patch: Partial<EstateInput['protectors'][number]>): EstateInput {
  return { ...doc, protectors: doc.protectors.map((p) => ({ ...p, ...patch })) };
}

describe('buildRotationPlan: contoso', () => {
  it('lists the exact steps, secondaries first, replica fields only where a replica is acted on', () => {
    const plan = planOf(contosoDoc());
    expect(plan.protector).toBe('orders-sql');
    expect(plan.strategy).toBe('import');
    expect(plan.steps).toEqual([
      { n: 1, kind: 'preflight' },
      { n: 2, kind: 'create-material' },
      { n: 3, kind: 'install-version', role: 'secondary', member: SECONDARY, vault: WUS },
      { n: 4, kind: 'install-version', role: 'primary', member: PRIMARY, vault: EUS },
      { n: 5, kind: 'verify-thumbprints' },
      { n: 6, kind: 'switch-protector', role: 'secondary', member: SECONDARY, vault: WUS },
      { n: 7, kind: 'switch-protector', role: 'primary', member: PRIMARY, vault: EUS },
      { n: 8, kind: 'verify' },
      { n: 9, kind: 'retain-previous' },
    ]);
    // exactOptionalPropertyTypes: absent keys, not keys holding undefined (the JSON contract in §4.5).
    expect(Object.keys(plan.steps[0]!)).toEqual(['n', 'kind']);
    expect(Object.keys(plan.steps[2]!)).toEqual(['n', 'kind', 'role', 'member', 'vault']);
    expect(Object.keys(plan)).toEqual(['protector', 'strategy', 'preflight', 'steps']);
  });

  it('offline without inventory or vault properties: preflight says unknown, never ok', () => {
    const plan = planOf(contosoDoc());
    const byCheck = Object.fromEntries(plan.preflight.map((r) => [r.check, r]));
    expect(byCheck['members']?.ok).toBe(true);
    expect(byCheck['strategy']?.ok).toBe(true);
    expect(byCheck['no-running-rotation']?.ok).toBe(true);
    for (const check of [`soft-delete:${WUS}`, `purge-protection:${EUS}`, `firewall:${EUS}`, 'key-type', 'access', 'geo-consistency']) {
      expect(byCheck[check]?.ok, check).toBe(false);
      expect(byCheck[check]?.reason, check).toMatch(/^unknown:/);
    }
  });

  it('with inventory, vault properties and observed open incidents = [] every preflight check passes', () => {
    const doc = healthyDoc();
    const props = { softDelete: true, purgeProtection: true, softDeleteRetentionDays: 90, networkAcls: { defaultAction: 'deny', bypassAzureServices: true } } as const;
    const plan = planOf(
      { ...doc, vaults: contosoDoc().vaults },
      { openIncidents: [], vaultProperties: new Map([[EUS, props], [WUS, props]]) },
    );
    expect(plan.preflight.filter((r) => !r.ok)).toEqual([]);
    expect(plan.preflight).toHaveLength(12);
  });

  it('geo mismatch: geo-consistency fails and the finding names the secondary vault', () => {
    const doc = healthyDoc();
    const mismatched: EstateInput = { ...doc, inventory: { ...doc.inventory, [WUS]: { [KEY]: [version(2, tp('old')), version(7, tp('other'))] } } };
    const plan = planOf(mismatched, { openIncidents: [] });
    const geo = plan.preflight.find((r) => r.check === 'geo-consistency');
    expect(geo?.ok).toBe(false);
    expect(geo?.reason).toMatch(/kv-cmk-prod-eus, kv-cmk-prod-wus/);
    const estate = estateOf(mismatched);
    expect(checkGeoKeyMaterial(estate, protectorOf(estate)).map((f) => [f.vault, f.detail['missing']])).toEqual([
      [EUS, [tp('other')]],
      [WUS, [tp('cur')]],
    ]);
    // Still the full plan: preflight failures are data.
    expect(kinds(plan)).toHaveLength(9);
  });

  it('same input → byte-identical JSON', () => {
    expect(JSON.stringify(planOf(healthyDoc()))).toBe(JSON.stringify(planOf(healthyDoc())));
  });
});

describe('buildRotationPlan: variants', () => {
  it('unknown protector id is the only error', () => {
    expect(buildRotationPlan({ estate: estateOf(contosoDoc()), protectorId: 'nope', now: NOW })).toEqual({ ok: false, error: 'unknown protector "nope"' });
  });

  it('no rotation config: strategy import with a failing strategy check', () => {
    const { rotation: _rotation, ...p } = contosoDoc().protectors[0]!;
    const plan = planOf({ ...contosoDoc(), protectors: [p] });
    expect(plan.strategy).toBe('import');
    expect(plan.preflight.find((r) => r.check === 'strategy')).toMatchObject({ ok: false, reason: expect.stringMatching(/no rotation configured/) });
    expect(kinds(plan)).toContain('install-version');
  });

  it('cosmos-cmk: no switch-protector (versionless key URI)', () => {
    expect(kinds(planOf(withProtector(contosoDoc(), { kind: 'cosmos-cmk' })))).toEqual([
      'preflight',
      'create-material',
      'install-version',
      'install-version',
      'verify-thumbprints',
      'verify',
      'retain-previous',
    ]);
  });

  it('cosmos-always-encrypted: rewrap-deks after verify-thumbprints instead of switching', () => {
    const plan = planOf(withProtector(contosoDoc(), { kind: 'cosmos-always-encrypted' }));
    expect(kinds(plan)).toEqual(['preflight', 'create-material', 'install-version', 'install-version', 'verify-thumbprints', 'rewrap-deks', 'verify', 'retain-previous']);
    expect(Object.keys(plan.steps[5]!)).toEqual(['n', 'kind']);
  });

  it('rotate with one shared vault: one rotate-key, no create-material', () => {
    const doc = contosoDoc();
    const p = doc.protectors[0]!;
    const plan = planOf({ ...doc, protectors: [{ ...p, members: p.members.map((m) => ({ ...m, vault: EUS })), rotation: { every: 'P90D', strategy: 'rotate' } }] });
    expect(plan.strategy).toBe('rotate');
    expect(plan.preflight.find((r) => r.check === 'strategy')?.ok).toBe(true);
    expect(plan.steps).toEqual([
      { n: 1, kind: 'preflight' },
      { n: 2, kind: 'rotate-key', role: 'secondary', member: SECONDARY, vault: EUS },
      { n: 3, kind: 'verify-thumbprints' },
      { n: 4, kind: 'switch-protector', role: 'secondary', member: SECONDARY, vault: EUS },
      { n: 5, kind: 'switch-protector', role: 'primary', member: PRIMARY, vault: EUS },
      { n: 6, kind: 'verify' },
      { n: 7, kind: 'retain-previous' },
    ]);
  });

  it('rotate over two vaults: steps still listed, strategy check fails', () => {
    const plan = planOf(withProtector(contosoDoc(), { rotation: { every: 'P90D', strategy: 'rotate' } }));
    expect(plan.preflight.find((r) => r.check === 'strategy')?.ok).toBe(false);
    expect(plan.steps.filter((s) => s.kind === 'rotate-key').map((s) => s.vault)).toEqual([WUS, EUS]);
  });

  it('members sharing a vault: one install, attributed to the first member in role order; secondaries in estate order', () => {
    const doc = contosoDoc();
    const p = doc.protectors[0]!;
    const [primary, secondary] = p.members;
    const third = { ...secondary!, resourceId: `${SUB}/Microsoft.Sql/servers/SQL-ORDERS-NEU`, vault: EUS };
    const plan = planOf({ ...doc, protectors: [{ ...p, members: [third, primary!, secondary!] }] });
    const neu = third.resourceId.toLowerCase();
    expect(plan.steps.filter((s) => s.kind === 'install-version')).toEqual([
      { n: 3, kind: 'install-version', role: 'secondary', member: neu, vault: EUS },
      { n: 4, kind: 'install-version', role: 'secondary', member: SECONDARY, vault: WUS },
    ]);
    expect(plan.steps.filter((s) => s.kind === 'switch-protector').map((s) => s.member)).toEqual([neu, SECONDARY, PRIMARY]);
  });
});
