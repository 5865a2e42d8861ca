// ARM operation semantics (DESIGN.md §4.7) from activity-log records in the real Event Hubs shape: a change counts
// only when its own operation succeeded, dated at its Success record; a Failure cancels only its own operation; one
// correlationId (a Terraform apply, a template deployment) spans many operations, each judged on its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexEstate } from '../../../domain/estate/index.js';
import { applyEvent, createFoldState, protectorState, type FoldState } from '../../../domain/health/fold.js';
import { buildReport } from '../../../domain/health/report.js';
import { mergeInto } from '../../../domain/health/snapshot.js';
import { normaliseRecord } from '../../../domain/normalise/index.js';
import type { ReplayReport } from '../../../domain/report.js';
import {
  armRecords,
  protectorWrite,
  roleAssignmentDelete,
  roleAssignmentWrite,
  serverIdentityNone,
  SUBSCRIPTION,
  vaultDelete,
  vaultFirewallWrite,
  vaultId,
  type ArmOperation,
  type Json,
} from '../../support/armRecords.js';
import { contoso, EUS_OID, EUS_VAULT, KEY, V_NEW, V_OLD, WUS_OID, WUS_VAULT } from '../../support/estates.js';
import { at } from '../../support/events.js';

const estate = contoso();
const T0 = at('2026-03-03T02:00:00Z');
const s = (seconds: number): number => T0 + seconds * 1000;
const TF = 'a7f3c2d1-0b4e-4c5d-9e8f-1a2b3c4d5e6f'; // one `terraform apply`
const OTHER_OID = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const EUS_SCOPE = vaultId(EUS_VAULT).toLowerCase();
const WUS_SCOPE = vaultId(WUS_VAULT).toLowerCase();

function fold(records: readonly Json[]): FoldState {
  const state = createFoldState(indexEstate(estate));
  for (const record of records) {
    const result = normaliseRecord(record);
    if (result.status === 'rejected') throw new Error(`fixture rejected: ${result.reason}`);
    if (result.status === 'ok') for (const e of result.events) applyEvent(state, e);
  }
  return state;
}

function report(records: readonly Json[], now: number): ReplayReport {
  return buildReport(fold(records), { records: 0, matched: 0, ignored: 0, rejected: 0 }, now);
}

const summary = (r: ReplayReport): string[] => [
  ...r.incidents.map((i) => `${i.member.split('/').pop()} ${i.cause} ${i.stage} opened ${i.openedAt}`),
  ...r.findings.filter((f) => f.code !== 'geo_key_material_missing').map((f) => `${f.code} ${f.vault}`),
];

const recordsOf = (...ops: ArmOperation[]): Json[] => ops.flatMap((op, i) => armRecords(op, i));
const LATER = s(600);

describe('one Terraform apply: several role-assignment deletes under one correlationId', () => {
  const memberDelete = (outcome: ArmOperation['outcome']) =>
    roleAssignmentDelete({ correlationId: TF, startAt: s(0), endAt: s(2), outcome, assignment: '4c1d2e3f-5a6b-47c8-a9b0-c1d2e3f4a5b6', principalId: EUS_OID, scope: EUS_SCOPE });
  // Another principal's assignment at the west vault: its scope must not be combined with the first one's principal.
  const unrelatedDelete = (outcome: ArmOperation['outcome']) =>
    roleAssignmentDelete({ correlationId: TF, startAt: s(1), endAt: s(3), outcome, assignment: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b', principalId: OTHER_OID, scope: WUS_SCOPE });

  it.each([
    ['both succeed: only the member whose own assignment went is at risk, dated at its Success record', 'success', 'success', ['sql-orders-eus permission_revoked at_risk opened 2026-03-03T02:00:02.000Z']],
    ['the other delete fails: it does not cancel the member’s', 'success', 'failure', ['sql-orders-eus permission_revoked at_risk opened 2026-03-03T02:00:02.000Z']],
    ['the member’s delete fails (a lock): nothing changed for it', 'failure', 'success', []],
    ['the member’s delete has only its Start record so far: intent, no change yet', 'pending', 'success', []],
  ])('%s', (_name, member, other, expected) => {
    const records = recordsOf(memberDelete(member as ArmOperation['outcome']), unrelatedDelete(other as ArmOperation['outcome']));
    expect(summary(report(records, LATER))).toEqual(expected);
  });

  it('deletes of both members’ assignments in one apply are two changes, each on its own member', () => {
    const wus = roleAssignmentDelete({ correlationId: TF, startAt: s(1), endAt: s(5), outcome: 'success', assignment: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b', principalId: WUS_OID, scope: WUS_SCOPE });
    expect(summary(report(recordsOf(memberDelete('success'), wus), LATER))).toEqual([
      'sql-orders-eus permission_revoked at_risk opened 2026-03-03T02:00:02.000Z',
      'sql-orders-wus permission_revoked at_risk opened 2026-03-03T02:00:05.000Z',
    ]);
  });

  it('a re-grant in the same apply that failed does not resolve the removal; one that succeeded does', () => {
    const regrant = (outcome: ArmOperation['outcome']) =>
      roleAssignmentWrite({ correlationId: TF, startAt: s(4), endAt: s(6), outcome, assignment: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', principalId: EUS_OID, scope: EUS_SCOPE });
    expect(summary(report(recordsOf(memberDelete('success'), regrant('failure')), LATER))).toEqual(['sql-orders-eus permission_revoked at_risk opened 2026-03-03T02:00:02.000Z']);
    expect(report(recordsOf(memberDelete('success'), regrant('success')), LATER).incidents).toMatchObject([{ cause: 'permission_revoked', stage: 'resolved', resolvedAt: '2026-03-03T02:00:06.000Z' }]);
  });
});

describe('vault writes and deletes', () => {
  const t = (outcome: ArmOperation['outcome']) => ({ correlationId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e', startAt: s(0), endAt: s(4), outcome });

  it.each([
    ['success', ['sql-orders-eus firewall_blocked at_risk opened 2026-03-03T02:00:04.000Z', 'vault_firewall_blocks_trusted_services kv-cmk-prod-eus']],
    ['failure', []],
    ['pending', []],
  ])('a firewall closed without the trusted-services bypass (%s)', (outcome, expected) => {
    expect(summary(report(recordsOf(vaultFirewallWrite({ ...t(outcome as ArmOperation['outcome']), vault: EUS_VAULT, deny: true })), LATER))).toEqual(expected);
  });

  it.each([
    ['success', ['sql-orders-eus vault_deleted at_risk opened 2026-03-03T02:00:04.000Z']],
    ['failure', []], // a delete lock: 409 ScopeLocked
    ['pending', []],
  ])('a vault delete (%s)', (outcome, expected) => {
    expect(summary(report(recordsOf(vaultDelete({ ...t(outcome as ArmOperation['outcome']), vault: EUS_VAULT })), LATER))).toEqual(expected);
  });

  it('a failed firewall write does not cancel a vault delete of the same deployment', () => {
    const records = recordsOf(vaultFirewallWrite({ ...t('failure'), vault: EUS_VAULT, deny: true }), vaultDelete({ ...t('success'), vault: EUS_VAULT, startAt: s(5), endAt: s(9) }));
    expect(summary(report(records, LATER))).toEqual(['sql-orders-eus vault_deleted at_risk opened 2026-03-03T02:00:09.000Z']);
  });
});

describe('server writes', () => {
  it.each([
    ['success', ['sql-orders-eus identity_removed at_risk opened 2026-03-03T02:00:30.000Z']],
    ['failure', []],
    ['pending', []],
  ])('identity set to None (%s, asynchronous: Start, Accept, end)', (outcome, expected) => {
    const op = serverIdentityNone({ correlationId: 'c0ffee00-1111-4222-8333-444455556666', startAt: s(0), endAt: s(30), outcome: outcome as ArmOperation['outcome'], server: 'sql-orders-eus' });
    expect(summary(report(recordsOf(op), LATER))).toEqual(expected);
  });

  it('a protector write switches the member’s current version only at its Success record', () => {
    // The server is moved back to the older version V_OLD, which is then disabled: an incident only if the move happened
    // (until then the member's version is the newest enabled one, V_NEW).
    const op = (outcome: ArmOperation['outcome']) =>
      protectorWrite({ correlationId: 'd00d0000-1111-4222-8333-444455556666', startAt: s(0), endAt: s(40), outcome, server: 'sql-orders-eus', vault: EUS_VAULT, key: KEY, version: V_OLD });
    const history = [...versionCreated(V_OLD, s(-3600)), ...versionCreated(V_NEW, s(-60)), auditKeyUpdate(V_OLD)];
    expect(report([...recordsOf(op('pending')), ...history], LATER).incidents).toEqual([]);
    expect(report([...recordsOf(op('failure')), ...history], LATER).incidents).toEqual([]);
    expect(summary(report([...recordsOf(op('success')), ...history], LATER))).toContain('sql-orders-eus key_disabled at_risk opened 2026-03-03T02:01:00.000Z');
  });
});

/** Key Vault audit: a KeyUpdate disabling a version of the east vault's protector key, by an admin, at s(60). */
function auditKeyUpdate(version: string): Json {
  return {
    time: new Date(s(60)).toISOString(),
    category: 'AuditEvent',
    operationName: 'KeyUpdate',
    resultType: 'Success',
    correlationId: '0b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e',
    callerIpAddress: '86.12.44.201',
    identity: { claim: { oid: '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a', appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c' } },
    properties: {
      id: `https://${EUS_VAULT}.vault.azure.net/keys/${KEY}/${version}`,
      httpStatusCode: 200,
      keyProperties: { type: 'RSA', size: 2048, attributes: { enabled: false, hsmPlatform: '0' } },
    },
    resourceId: `/SUBSCRIPTIONS/${SUBSCRIPTION.toUpperCase()}/RESOURCEGROUPS/RG-DATA-PROD/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${EUS_VAULT.toUpperCase()}`,
    operationVersion: '7.4',
    resultSignature: 'OK',
    durationMs: '41',
  };
}

function versionCreated(version: string, time: number): Json[] {
  return [
    {
      id: `eg-${version}`,
      topic: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-data-prod/providers/Microsoft.KeyVault/vaults/${EUS_VAULT}`,
      subject: KEY,
      eventType: 'Microsoft.KeyVault.KeyNewVersionCreated',
      eventTime: new Date(time).toISOString(),
      data: { Id: `https://${EUS_VAULT}.vault.azure.net/keys/${KEY}/${version}`, VaultName: EUS_VAULT, ObjectType: 'Key', ObjectName: KEY, Version: version, NBF: null, EXP: null },
      dataVersion: '1',
      metadataVersion: '1',
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Property: the records of N operations in one correlation, interleaved, duplicated and split across batches, give
// the same incidents and findings as the same operations sent one by one, each under its own correlationId.

type OpSpec =
  | { kind: 'role-delete' | 'role-write'; who: 0 | 1 | 2; where: 0 | 1 }
  | { kind: 'firewall'; where: 0 | 1; deny: boolean }
  | { kind: 'vault-delete'; where: 0 | 1 }
  | { kind: 'identity-none'; where: 0 | 1 }
  | { kind: 'protector'; where: 0 | 1; version: 0 | 1 };

const PRINCIPALS = [EUS_OID, WUS_OID, OTHER_OID];
const VAULTS = [EUS_VAULT, WUS_VAULT];
const SERVERS = ['sql-orders-eus', 'sql-orders-wus'];

const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ kind: fc.constantFrom('role-delete' as const, 'role-write' as const), who: fc.constantFrom(0 as const, 1 as const, 2 as const), where: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('firewall' as const), where: fc.constantFrom(0 as const, 1 as const), deny: fc.boolean() }),
  fc.record({ kind: fc.constant('vault-delete' as const), where: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('identity-none' as const), where: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('protector' as const), where: fc.constantFrom(0 as const, 1 as const), version: fc.constantFrom(0 as const, 1 as const) }),
);

/** Two operations on the same resource with the same name are one operation to ARM: the generator keeps them apart. */
const resourceKey = (spec: OpSpec, i: number): string => (spec.kind === 'role-delete' || spec.kind === 'role-write' ? `role-${i}` : `${spec.kind}-${spec.where}`);

const generated = fc
  .uniqueArray(
    fc.record({
      spec: opSpec,
      start: fc.integer({ min: 0, max: 3600 }),
      duration: fc.integer({ min: 1, max: 120 }),
      outcome: fc.constantFrom('success' as const, 'failure' as const, 'pending' as const),
      slot: fc.nat(),
    }),
    { minLength: 1, maxLength: 8, selector: (o) => (o.spec.kind.startsWith('role') ? `role-${o.slot % 64}` : `${o.spec.kind}-${o.spec.where}`) },
  )
  .filter((ops) => new Set(ops.map((o, i) => resourceKey(o.spec, i))).size === ops.length);

function operation(o: { spec: OpSpec; start: number; duration: number; outcome: ArmOperation['outcome'] }, i: number, correlationId: string): ArmOperation {
  const t = { correlationId, startAt: s(o.start), endAt: s(o.start + o.duration), outcome: o.outcome };
  const spec = o.spec;
  switch (spec.kind) {
    case 'role-delete':
    case 'role-write': {
      const build = spec.kind === 'role-delete' ? roleAssignmentDelete : roleAssignmentWrite;
      return build({ ...t, assignment: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, principalId: PRINCIPALS[spec.who] as string, scope: vaultId(VAULTS[spec.where] as string).toLowerCase() });
    }
    case 'firewall':
      return vaultFirewallWrite({ ...t, vault: VAULTS[spec.where] as string, deny: spec.deny });
    case 'vault-delete':
      return vaultDelete({ ...t, vault: VAULTS[spec.where] as string });
    case 'identity-none':
      return serverIdentityNone({ ...t, server: SERVERS[spec.where] as string });
    case 'protector':
      return protectorWrite({ ...t, server: SERVERS[spec.where] as string, vault: VAULTS[spec.where] as string, key: KEY, version: spec.version === 0 ? V_OLD : V_NEW });
  }
}

/** Folds each batch on its own (as separate Event Hubs deliveries would be) and merges their states (persistDelta's union). */
function reportOfBatches(batches: readonly (readonly Json[])[], now: number): ReplayReport {
  const total = createFoldState(indexEstate(estate));
  for (const batch of batches) {
    const part = fold(batch);
    for (const ps of part.protectors.values()) mergeInto(protectorState(total, ps.protector), ps);
  }
  return buildReport(total, { records: 0, matched: 0, ignored: 0, rejected: 0 }, now);
}

describe('operations in one correlation are judged one by one', () => {
  it('any interleaving, duplication and split across batches gives what the operations sent one by one give', () => {
    fc.assert(
      fc.property(
        generated.chain((ops) => {
          const records = ops.flatMap((o, i) => armRecords(operation(o, i, TF), i));
          return fc.record({
            ops: fc.constant(ops),
            delivery: fc.shuffledSubarray([...records, ...records], { minLength: records.length * 2, maxLength: records.length * 2 }),
            cuts: fc.array(fc.nat(records.length * 2), { maxLength: 4 }),
            now: fc.integer({ min: 0, max: 3800 }).map(s),
          });
        }),
        ({ ops, delivery, cuts, now }) => {
          const alone = ops.flatMap((o, i) => armRecords(operation(o, i, `op-${i}`), i));
          const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), delivery.length];
          const batches = bounds.slice(1).map((end, k) => delivery.slice(bounds[k], end));
          const one = report(alone, now);
          const together = reportOfBatches(batches, now);
          expect(together.incidents).toEqual(one.incidents);
          expect(together.findings).toEqual(one.findings);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sent one by one, a failed or still-running operation changes nothing: its records are as good as absent', () => {
    fc.assert(
      fc.property(generated, fc.integer({ min: 0, max: 3800 }).map(s), (ops, now) => {
        const all = ops.flatMap((o, i) => armRecords(operation(o, i, `op-${i}`), i));
        // What is done by `now`: a Success after `now` is still to come, so its operation is still running then.
        const done = ops.flatMap((o, i) => (o.outcome === 'success' && s(o.start + o.duration) <= now ? armRecords(operation(o, i, `op-${i}`), i) : []));
        expect(report(all, now).incidents).toEqual(report(done, now).incidents);
      }),
      { numRuns: 200 },
    );
  });
});
