// Table tests of the incident rules, one scenario per row, each judged at a fixed `now`.
import { describe, expect, it } from 'vitest';
import { contoso, contosoDoc, estateFrom, EUS_OID, EUS_SERVER, EUS_VAULT, V_NEW, V_OLD, WUS_OID, WUS_SERVER } from '../../support/estates.js';
import { access, at, keyUpdate, protectorSet, roleAssignment, sqlDatabaseState, vaultConfig, vaultLifecycle } from '../../support/events.js';
import { reportOf } from '../../support/fold.js';

const estate = contoso();
const T0 = '2026-03-03T02:00:00Z';

function incidents(events: Parameters<typeof reportOf>[1], now: string) {
  return reportOf(estate, events, at(now)).incidents;
}

describe('incident stages', () => {
  it('a role removed from the member identity opens an at_risk permission_revoked incident', () => {
    const [inc, ...rest] = incidents([roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID })], '2026-03-03T02:05:00Z');
    expect(rest).toEqual([]);
    expect(inc).toMatchObject({
      protector: 'orders-sql', member: EUS_SERVER, cause: 'permission_revoked', stage: 'at_risk',
      openedAt: '2026-03-03T02:00:00.000Z', accessLostAt: null, inaccessibleAt: null, autohealDeadline: null, resolvedAt: null,
    });
  });

  it.each([
    ['2026-03-03T02:12:00Z', 'access_lost'],
    ['2026-03-03T02:20:00Z', 'inaccessible'], // accessLostAt + PT10M
    ['2026-03-03T02:39:59Z', 'inaccessible'],
    ['2026-03-03T02:40:00Z', 'autoheal_expired'], // accessLostAt + PT30M
  ])('a denial after the change: at %s the stage is %s', (now, stage) => {
    const events = [roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID }), access({ time: '2026-03-03T02:10:00Z', oid: EUS_OID, denial: 'rbac' })];
    const [inc] = incidents(events, now);
    expect(inc).toMatchObject({
      stage, openedAt: '2026-03-03T02:00:00.000Z', accessLostAt: '2026-03-03T02:10:00.000Z',
      inaccessibleAt: '2026-03-03T02:20:00.000Z', autohealDeadline: '2026-03-03T02:40:00.000Z',
    });
    expect(inc?.evidence.map((e) => e.operation)).toEqual(['Microsoft.Authorization/roleAssignments/delete', 'KeyUnwrap']);
  });

  it('per-protector windows come from the estate (autohealWindow PT8H)', () => {
    const custom = contosoWith({ autohealWindow: 'PT8H', inaccessibleAfter: 'PT5M' });
    const [inc] = reportOf(custom, [access({ time: T0, oid: EUS_OID, denial: 'rbac' })], at('2026-03-03T03:00:00Z')).incidents;
    expect(inc).toMatchObject({ stage: 'inaccessible', inaccessibleAt: '2026-03-03T02:05:00.000Z', autohealDeadline: '2026-03-03T10:00:00.000Z' });
  });

  it('a success of the member identity after the loss resolves the incident', () => {
    const events = [access({ time: T0, oid: EUS_OID, denial: 'rbac' }), access({ time: '2026-03-03T02:07:00Z', oid: EUS_OID })];
    expect(incidents(events, '2026-03-03T03:00:00Z')[0]).toMatchObject({ stage: 'resolved', resolvedAt: '2026-03-03T02:07:00.000Z', accessLostAt: '2026-03-03T02:00:00.000Z' });
  });

  it('successes before the loss do not resolve it; a success at the same instant as a denial leaves it open', () => {
    const events = [access({ time: '2026-03-03T01:59:00Z', oid: EUS_OID }), access({ time: T0, oid: EUS_OID, denial: 'rbac' }), access({ time: T0, oid: EUS_OID })];
    expect(incidents(events, '2026-03-03T02:05:00Z')[0]?.stage).toBe('access_lost');
  });

  it('a success within the 10-minute RBAC propagation delay does not clear at_risk; one after it does', () => {
    const risk = roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID });
    expect(incidents([risk, access({ time: '2026-03-03T02:09:00Z', oid: EUS_OID })], '2026-03-03T02:30:00Z')[0]?.stage).toBe('at_risk');
    expect(incidents([risk, access({ time: '2026-03-03T02:10:00Z', oid: EUS_OID })], '2026-03-03T02:30:00Z')[0]).toMatchObject({ stage: 'resolved', resolvedAt: '2026-03-03T02:10:00.000Z' });
  });

  it('re-granting the role reverts the change', () => {
    const events = [roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID }), roleAssignment({ time: '2026-03-03T02:03:00Z', op: 'write', principalId: EUS_OID })];
    expect(incidents(events, '2026-03-03T02:30:00Z')[0]).toMatchObject({ stage: 'resolved', resolvedAt: '2026-03-03T02:03:00.000Z' });
  });

  it('a new denial after resolution reopens the same incident (never a second one)', () => {
    const events = [
      access({ time: T0, oid: EUS_OID, denial: 'rbac' }),
      access({ time: '2026-03-03T02:05:00Z', oid: EUS_OID }),
      access({ time: '2026-03-03T04:00:00Z', oid: EUS_OID, denial: 'access_policy' }),
    ];
    const found = incidents(events, '2026-03-03T04:01:00Z');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ stage: 'access_lost', openedAt: '2026-03-03T04:00:00.000Z', accessLostAt: '2026-03-03T04:00:00.000Z', resolvedAt: null });
  });

  it('role removals that cannot cut key access are ignored: another principal, a control-plane role, another vault', () => {
    const events = [
      roleAssignment({ time: T0, op: 'delete', principalId: '00000000-0000-0000-0000-000000000001' }),
      roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID, role: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635' }),
      roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID, scope: '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/microsoft.keyvault/vaults/kv-other' }),
    ];
    expect(incidents(events, '2026-03-03T02:30:00Z')).toEqual([]);
  });

  it('a removal at subscription scope covers the vault', () => {
    const events = [roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID, scope: '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f' })];
    expect(incidents(events, '2026-03-03T02:30:00Z')[0]?.cause).toBe('permission_revoked');
  });

  it('an ARM operation whose Failure record shares the correlationId changed nothing', () => {
    const events = [
      roleAssignment({ time: T0, op: 'delete', principalId: EUS_OID, phase: 'start', correlationId: 'c-1' }),
      roleAssignment({ time: '2026-03-03T02:00:01Z', op: 'delete', principalId: EUS_OID, phase: 'failure', correlationId: 'c-1' }),
    ];
    expect(incidents(events, '2026-03-03T02:30:00Z')).toEqual([]);
  });

  it('429 and 5xx are transient, not a loss of access', () => {
    const events = [access({ time: T0, oid: EUS_OID, status: 429 }), access({ time: T0, oid: EUS_OID, status: 503 })];
    expect(incidents(events, '2026-03-03T02:30:00Z')).toEqual([]);
  });

  it('denials of identities outside the estate are not incidents', () => {
    expect(incidents([access({ time: T0, oid: '99999999-0000-0000-0000-000000000000', denial: 'rbac' })], '2026-03-03T02:30:00Z')).toEqual([]);
  });

  it('a denial matched by xms_mirid alone belongs to the member', () => {
    expect(incidents([access({ time: T0, mirid: WUS_SERVER, vault: 'kv-cmk-prod-wus', denial: 'firewall' })], '2026-03-03T02:01:00Z')[0]).toMatchObject({ member: WUS_SERVER, cause: 'firewall_blocked' });
  });
});

describe('causes', () => {
  it.each([
    ['rbac', 'permission_revoked'],
    ['access_policy', 'permission_revoked'],
    ['firewall', 'firewall_blocked'],
    ['disabled', 'key_disabled'],
    ['expired', 'key_expired'],
    ['not_found', 'key_deleted'],
    ['unauthenticated', 'identity_removed'],
    ['other', 'unknown_denial'],
  ] as const)('a %s denial is %s', (denial, cause) => {
    expect(incidents([access({ time: T0, oid: EUS_OID, denial, status: denial === 'not_found' ? 404 : denial === 'unauthenticated' ? 401 : 403 })], '2026-03-03T02:01:00Z')[0]?.cause).toBe(cause);
  });

  it('a 404 on a deleted vault is vault_deleted', () => {
    const events = [vaultLifecycle({ time: '2026-03-03T01:00:00Z', kind: 'vault-deleted' }), access({ time: T0, oid: EUS_OID, denial: 'not_found', status: 404 })];
    const causes = incidents(events, '2026-03-03T02:01:00Z').map((i) => [i.cause, i.stage]);
    expect(causes).toEqual([['vault_deleted', 'access_lost']]);
  });

  it('disabling the current protector version puts the member at risk; disabling another version does not', () => {
    const current = protectorSet({ time: '2026-03-02T14:07:40Z', server: EUS_SERVER, version: V_NEW });
    expect(incidents([current, keyUpdate({ time: T0, version: V_NEW, enabled: false })], '2026-03-03T02:01:00Z')[0]).toMatchObject({ cause: 'key_disabled', stage: 'at_risk', member: EUS_SERVER });
    expect(incidents([current, keyUpdate({ time: T0, version: V_OLD, enabled: false })], '2026-03-03T02:01:00Z')).toEqual([]);
    expect(incidents([current, keyUpdate({ time: T0, version: V_NEW, enabled: false }), keyUpdate({ time: '2026-03-03T02:02:00Z', version: V_NEW, enabled: true })], '2026-03-03T02:05:00Z')[0]?.stage).toBe('resolved');
  });

  it('a key disabled in one vault concerns only the member whose vault it is', () => {
    expect(incidents([keyUpdate({ time: T0, version: V_NEW, enabled: false, vault: EUS_VAULT })], '2026-03-03T02:01:00Z').map((i) => i.member)).toEqual([EUS_SERVER]);
  });

  it('a firewall that denies without the trusted-services bypass is a risk; adding the bypass reverts it', () => {
    const block = vaultConfig({ time: T0, deny: true, bypass: false });
    expect(incidents([block], '2026-03-03T02:01:00Z')[0]).toMatchObject({ cause: 'firewall_blocked', stage: 'at_risk' });
    expect(incidents([block, vaultConfig({ time: '2026-03-03T02:01:00Z', deny: true, bypass: true })], '2026-03-03T02:05:00Z')[0]?.stage).toBe('resolved');
    expect(incidents([vaultConfig({ time: T0, deny: true, bypass: true })], '2026-03-03T02:05:00Z')).toEqual([]);
  });

  it("SQL's MakeDatabaseInaccessible opens unknown_denial only when no known cause is open", () => {
    const late = sqlDatabaseState({ time: '2026-03-03T02:30:00Z', server: EUS_SERVER, state: 'inaccessible' });
    expect(incidents([late], '2026-03-03T02:31:00Z').map((i) => [i.cause, i.stage])).toEqual([['unknown_denial', 'access_lost']]);
    const explained = [access({ time: T0, oid: EUS_OID, denial: 'rbac' }), late];
    expect(incidents(explained, '2026-03-03T02:31:00Z').map((i) => i.cause)).toEqual(['permission_revoked']);
    const healed = [late, sqlDatabaseState({ time: '2026-03-03T02:50:00Z', server: EUS_SERVER, state: 'accessible' })];
    expect(incidents(healed, '2026-03-03T03:00:00Z')[0]?.stage).toBe('resolved');
  });

  it('one incident per (protector, member, cause), sorted by member then cause', () => {
    const events = [
      access({ time: T0, oid: WUS_OID, vault: 'kv-cmk-prod-wus', denial: 'rbac' }),
      access({ time: T0, oid: EUS_OID, denial: 'firewall' }),
      access({ time: '2026-03-03T02:00:30Z', oid: EUS_OID, denial: 'rbac' }),
      access({ time: '2026-03-03T02:00:40Z', oid: EUS_OID, denial: 'rbac' }),
    ];
    expect(incidents(events, '2026-03-03T02:01:00Z').map((i) => [i.member, i.cause])).toEqual([
      [EUS_SERVER, 'firewall_blocked'],
      [EUS_SERVER, 'permission_revoked'],
      [WUS_SERVER, 'permission_revoked'],
    ]);
  });

  it('keeps the first 3 and latest 7 pieces of evidence of a denial storm', () => {
    const storm = Array.from({ length: 50 }, (_, i) => access({ time: new Date(at(T0) + i * 1000).toISOString(), oid: EUS_OID, denial: 'rbac' }));
    const [inc] = incidents(storm, '2026-03-03T02:05:00Z');
    expect(inc?.evidence).toHaveLength(10);
    expect(inc?.evidence[0]?.time).toBe('2026-03-03T02:00:00.000Z');
    expect(inc?.evidence[3]?.time).toBe('2026-03-03T02:00:43.000Z');
    expect(inc?.evidence[9]?.time).toBe('2026-03-03T02:00:49.000Z');
  });
});

function contosoWith(patch: Record<string, unknown>) {
  const doc = contosoDoc() as { protectors: Record<string, unknown>[] };
  doc.protectors[0] = { ...doc.protectors[0], ...patch };
  return estateFrom(doc);
}
