import { describe, expect, it } from 'vitest';
import type { Estate, Member, Protector, VaultProperties } from '../../../domain/estate/model.js';
import type { EstateInput } from '../../../domain/estate/schema.js';
import type { Incident } from '../../../domain/report.js';
import type { PreflightContext, PreflightObserved } from '../../../domain/rotation/preflight.js';
import {
  checkAccess,
  checkFirewall,
  checkGeoConsistency,
  checkKeyType,
  checkMembers,
  checkNoRunningRotation,
  checkPurgeProtection,
  checkSoftDelete,
  checkStrategy,
  PREFLIGHT_CHECKS,
  runPreflight,
} from '../../../domain/rotation/preflight.js';
import type { InventoryEntry, VaultPropertiesDoc } from './estateDocs.js';
import { contosoDoc, estateOf, EUS, healthyDoc, KEY, NOW, PRIMARY, protectorOf, SECONDARY, tp, version, WUS } from './estateDocs.js';

function ctxOf(doc: EstateInput, observed?: PreflightObserved, patch?: (p: Protector) => Protector): PreflightContext {
  const estate = estateOf(doc);
  const base = protectorOf(estate);
  const protector = patch ? patch(base) : base;
  return observed ? { estate, protector, now: NOW, observed } : { estate, protector, now: NOW };
}

function withProps(props: VaultPropertiesDoc | undefined, vault = WUS): EstateInput {
  const doc = healthyDoc();
  return { ...doc, vaults: doc.vaults.map((v) => (v.name === vault ? (props ? { ...v, properties: props } : { name: v.name, region: v.region ?? 'westus' }) : v)) };
}

function withPrimaryVersions(versions: InventoryEntry[]): EstateInput {
  const doc = healthyDoc();
  return { ...doc, inventory: { ...doc.inventory, [EUS]: { [KEY]: versions } } };
}

const member = (role: Member['role'], n: number, vault = WUS): Member => ({
  role,
  resourceId: `/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/extra-${n}`,
  vault,
  principalId: null,
});

const incident = (extra: Partial<Incident>): Incident => ({
  protector: 'orders-sql',
  episode: 0,
  member: SECONDARY,
  cause: 'permission_revoked',
  stage: 'access_lost',
  openedAt: '2026-11-21T23:00:00.000Z',
  accessLostAt: '2026-11-21T23:00:00.000Z',
  inaccessibleAt: null,
  autohealDeadline: null,
  resolvedAt: null,
  evidence: [],
  ...extra,
});

type Row = { name: string; run: () => { check: string; ok: boolean; reason: string }; ok: boolean; reason: RegExp };

const rows: Row[] = [
  // members
  { name: 'members: contoso 1+1', run: () => checkMembers(ctxOf(healthyDoc())), ok: true, reason: /1 primary and 1 secondary/ },
  {
    name: 'members: sql-tde with 5 secondaries',
    run: () => checkMembers(ctxOf(healthyDoc(), undefined, (p) => ({ ...p, members: [...p.members, ...[1, 2, 3, 4].map((n) => member('secondary', n))] }))),
    ok: false,
    reason: /5 secondaries; Azure SQL allows at most 4/,
  },
  {
    name: 'members: cosmos-cmk with 5 secondaries is fine',
    run: () => checkMembers(ctxOf(healthyDoc(), undefined, (p) => ({ ...p, kind: 'cosmos-cmk', members: [...p.members, ...[1, 2, 3, 4].map((n) => member('secondary', n))] }))),
    ok: true,
    reason: /5 secondaries/,
  },
  {
    name: 'members: two primaries',
    run: () => checkMembers(ctxOf(healthyDoc(), undefined, (p) => ({ ...p, members: [...p.members, member('primary', 9)] }))),
    ok: false,
    reason: /exactly one primary member \(has 2\)/,
  },
  // strategy
  { name: 'strategy: import over two vaults', run: () => checkStrategy(ctxOf(healthyDoc())), ok: true, reason: /"import".*2 vault\(s\): kv-cmk-prod-wus, kv-cmk-prod-eus/ },
  {
    name: 'strategy: rotate over two vaults names them',
    run: () => checkStrategy(ctxOf(healthyDoc(), undefined, (p) => ({ ...p, rotation: { every: 1, strategy: 'rotate', keyType: null, keySize: null } }))),
    ok: false,
    reason: /"rotate" needs all members in one vault; members use kv-cmk-prod-wus, kv-cmk-prod-eus/,
  },
  {
    name: 'strategy: rotate with one shared vault',
    run: () =>
      checkStrategy(
        ctxOf(healthyDoc(), undefined, (p) => ({ ...p, members: p.members.map((m) => ({ ...m, vault: EUS })), rotation: { every: 1, strategy: 'rotate', keyType: null, keySize: null } })),
      ),
    ok: true,
    reason: /all members share vault kv-cmk-prod-eus/,
  },
  { name: 'strategy: no rotation configured', run: () => checkStrategy(ctxOf(healthyDoc(), undefined, (p) => ({ ...p, rotation: null }))), ok: false, reason: /no rotation configured/ },
  // soft-delete / purge-protection
  { name: 'soft-delete: on', run: () => checkSoftDelete(ctxOf(healthyDoc()), WUS), ok: true, reason: /soft-delete is enabled on vault kv-cmk-prod-wus/ },
  { name: 'soft-delete: off', run: () => checkSoftDelete(ctxOf(withProps({ ...goodProps(), enableSoftDelete: false })), WUS), ok: false, reason: /soft-delete is disabled/ },
  { name: 'soft-delete: no properties', run: () => checkSoftDelete(ctxOf(withProps(undefined)), WUS), ok: false, reason: /^unknown:/ },
  { name: 'soft-delete: property absent', run: () => checkSoftDelete(ctxOf(withProps({ enablePurgeProtection: true })), WUS), ok: false, reason: /^unknown:/ },
  {
    name: 'soft-delete: observed true overrides snapshot false',
    run: () => checkSoftDelete(ctxOf(withProps({ ...goodProps(), enableSoftDelete: false }), { vaultProperties: new Map([[WUS, liveProps({ softDelete: true })]]) }), WUS),
    ok: true,
    reason: /enabled/,
  },
  {
    name: 'soft-delete: observed false overrides snapshot true',
    run: () => checkSoftDelete(ctxOf(healthyDoc(), { vaultProperties: new Map([[WUS, liveProps({ softDelete: false })]]) }), WUS),
    ok: false,
    reason: /disabled/,
  },
  { name: 'purge-protection: on', run: () => checkPurgeProtection(ctxOf(healthyDoc()), EUS), ok: true, reason: /purge protection is enabled on vault kv-cmk-prod-eus/ },
  { name: 'purge-protection: false', run: () => checkPurgeProtection(ctxOf(withProps({ ...goodProps(), enablePurgeProtection: false })), WUS), ok: false, reason: /purge protection is disabled on vault kv-cmk-prod-wus/ },
  { name: 'purge-protection: unknown', run: () => checkPurgeProtection(ctxOf(withProps(undefined)), WUS), ok: false, reason: /^unknown: purge protection/ },
  // firewall
  { name: 'firewall: Deny + AzureServices', run: () => checkFirewall(ctxOf(healthyDoc()), WUS), ok: true, reason: /trusted Azure services/ },
  { name: 'firewall: Allow + None', run: () => checkFirewall(ctxOf(withProps({ ...goodProps(), networkAcls: { defaultAction: 'Allow', bypass: 'None' } })), WUS), ok: true, reason: /allows/ },
  {
    name: 'firewall: Deny + None blocks SQL',
    run: () => checkFirewall(ctxOf(withProps({ ...goodProps(), networkAcls: { defaultAction: 'Deny', bypass: 'None' } })), WUS),
    ok: false,
    reason: /without the AzureServices bypass/,
  },
  { name: 'firewall: unknown', run: () => checkFirewall(ctxOf(withProps({ enableSoftDelete: true, enablePurgeProtection: true })), WUS), ok: false, reason: /^unknown: network ACLs/ },
  {
    name: 'firewall: observed Deny + None overrides the snapshot',
    run: () => checkFirewall(ctxOf(healthyDoc(), { vaultProperties: new Map([[WUS, liveProps({ networkAcls: { defaultAction: 'deny', bypassAzureServices: false } })]]) }), WUS),
    ok: false,
    reason: /without the AzureServices bypass/,
  },
  // key-type
  { name: 'key-type: RSA 2048, enabled, active, unexpired', run: () => checkKeyType(ctxOf(healthyDoc())), ok: true, reason: /version 0{31}6 .* RSA 2048-bit/ },
  { name: 'key-type: RSA-HSM 3072', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { kty: 'RSA-HSM', size: 3072 })]))), ok: true, reason: /RSA-HSM 3072-bit/ },
  { name: 'key-type: RSA 4096', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { size: 4096 })]))), ok: false, reason: /key size 4096 is not 2048 or 3072/ },
  { name: 'key-type: EC', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { kty: 'EC', size: 256 })]))), ok: false, reason: /key type EC is not RSA.*key size 256/ },
  { name: 'key-type: current version disabled', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(1, tp('old')), version(6, tp('cur'), { enabled: false })]))), ok: false, reason: /current version is disabled/ },
  { name: 'key-type: nbf in the future', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { nbf: '2026-12-01T00:00:00Z' })]))), ok: false, reason: /not active before 2026-12-01T00:00:00.000Z/ },
  { name: 'key-type: exp in the past', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { exp: '2026-11-21T00:00:00Z' })]))), ok: false, reason: /expired at 2026-11-21T00:00:00.000Z/ },
  { name: 'key-type: exp exactly now counts as expired', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { exp: NOW / 1000 })]))), ok: false, reason: /expired/ },
  { name: 'key-type: no nbf/exp set is fine', run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur'), { nbf: null, exp: null })]))), ok: true, reason: /enabled, active, unexpired/ },
  { name: 'key-type: missing inventory', run: () => checkKeyType(ctxOf(contosoDoc())), ok: false, reason: /^unknown: no inventory of key sql-tde-protector in the primary's vault kv-cmk-prod-eus/ },
  { name: 'key-type: empty version list', run: () => checkKeyType(ctxOf(withPrimaryVersions([]))), ok: false, reason: /^unknown:/ },
  { name: 'key-type: kty and size not recorded', run: () => checkKeyType(ctxOf(withPrimaryVersions([{ version: '0'.repeat(31) + '6', thumbprint: tp('cur'), enabled: true }]))), ok: false, reason: /^unknown: .*key type not in inventory; key size not in inventory/ },
  {
    name: 'key-type: current is the latest created, not the last listed',
    run: () => checkKeyType(ctxOf(withPrimaryVersions([version(6, tp('cur')), version(1, tp('old'), { size: 4096 })]))),
    ok: true,
    reason: /version 0{31}6/,
  },
  {
    name: 'key-type: without created, the last enabled entry is current',
    run: () => checkKeyType(ctxOf(withPrimaryVersions([noCreated(version(1, tp('old'))), noCreated(version(6, tp('cur'), { size: 4096 })), noCreated(version(7, tp('dis'), { enabled: false }))]))),
    ok: false,
    reason: /version 0{31}6.*key size 4096/,
  },
  { name: 'key-type: without created and nothing enabled', run: () => checkKeyType(ctxOf(withPrimaryVersions([noCreated(version(1, tp('old'), { enabled: false }))]))), ok: false, reason: /no enabled version/ },
  // access
  { name: 'access: not observed', run: () => checkAccess(ctxOf(healthyDoc())), ok: false, reason: /^unknown: access not verified offline; verified live before install$/ },
  { name: 'access: no incidents', run: () => checkAccess(ctxOf(healthyDoc(), { openIncidents: [] })), ok: true, reason: /no open incident for any of 2 member/ },
  { name: 'access: open incident on the secondary', run: () => checkAccess(ctxOf(healthyDoc(), { openIncidents: [incident({})] })), ok: false, reason: new RegExp(`open incident\\(s\\) on ${SECONDARY.replace(/[.]/g, '\\.')} \\(permission_revoked, access_lost\\)`) },
  { name: 'access: at_risk counts as open', run: () => checkAccess(ctxOf(healthyDoc(), { openIncidents: [incident({ member: PRIMARY.toUpperCase(), stage: 'at_risk' })] })), ok: false, reason: /at_risk/ },
  { name: 'access: resolved incident', run: () => checkAccess(ctxOf(healthyDoc(), { openIncidents: [incident({ stage: 'resolved' })] })), ok: true, reason: /no open incident/ },
  { name: 'access: incident of another protector', run: () => checkAccess(ctxOf(healthyDoc(), { openIncidents: [incident({ protector: 'billing-sql' })] })), ok: true, reason: /no open incident/ },
  // geo-consistency
  { name: 'geo-consistency: identical', run: () => checkGeoConsistency(ctxOf(healthyDoc())), ok: true, reason: /2 vaults hold identical/ },
  {
    name: 'geo-consistency: secondary lacks the current version',
    run: () => {
      const doc = healthyDoc();
      return checkGeoConsistency(ctxOf({ ...doc, inventory: { ...doc.inventory, [WUS]: { [KEY]: [version(2, tp('old'))] } } }));
    },
    ok: false,
    reason: /geo_key_material_missing in kv-cmk-prod-wus$/,
  },
  { name: 'geo-consistency: no inventory', run: () => checkGeoConsistency(ctxOf(contosoDoc())), ok: false, reason: /^unknown: no inventory/ },
  // no-running-rotation
  { name: 'no-running-rotation: running', run: () => checkNoRunningRotation(ctxOf(healthyDoc(), { runningRotation: true })), ok: false, reason: /already running/ },
  { name: 'no-running-rotation: not running', run: () => checkNoRunningRotation(ctxOf(healthyDoc(), { runningRotation: false })), ok: true, reason: /no running rotation/ },
  { name: 'no-running-rotation: not observed', run: () => checkNoRunningRotation(ctxOf(healthyDoc())), ok: true, reason: /per-protector lock/ },
];

function goodProps(): VaultPropertiesDoc {
  return { enableSoftDelete: true, enablePurgeProtection: true, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } };
}

function liveProps(p: Partial<VaultProperties>): VaultProperties {
  return { softDelete: null, purgeProtection: null, softDeleteRetentionDays: null, networkAcls: null, ...p };
}

function noCreated(v: InventoryEntry): InventoryEntry {
  const { created: _created, ...rest } = v;
  return rest;
}

describe('preflight checks', () => {
  it.each(rows)('$name', ({ run, ok, reason }) => {
    const r = run();
    expect(r.reason).toMatch(reason);
    expect(r.ok).toBe(ok);
  });
});

describe('runPreflight', () => {
  it('reports every check, per-vault ones once per distinct vault, secondaries first', () => {
    const results = runPreflight(ctxOf(healthyDoc()));
    expect(results.map((r) => r.check)).toEqual([
      'members',
      'strategy',
      `soft-delete:${WUS}`,
      `soft-delete:${EUS}`,
      `purge-protection:${WUS}`,
      `purge-protection:${EUS}`,
      `firewall:${WUS}`,
      `firewall:${EUS}`,
      'key-type',
      'access',
      'geo-consistency',
      'no-running-rotation',
    ]);
    expect(results.every((r) => r.reason.length > 0)).toBe(true);
  });

  it('exports the named check list', () => {
    expect(PREFLIGHT_CHECKS.map((c) => c.name)).toEqual(['members', 'strategy', 'soft-delete', 'purge-protection', 'firewall', 'key-type', 'access', 'geo-consistency', 'no-running-rotation']);
  });

  it('a vault named only by observed facts is still judged from them', () => {
    const estate: Estate = estateOf(healthyDoc());
    const ctx: PreflightContext = { estate, protector: protectorOf(estate), now: NOW, observed: { vaultProperties: new Map([['kv-elsewhere', liveProps({ softDelete: true })]]) } };
    expect(checkSoftDelete(ctx, 'kv-elsewhere').ok).toBe(true);
    expect(checkPurgeProtection(ctx, 'kv-elsewhere').reason).toMatch(/^unknown:/);
  });
});
