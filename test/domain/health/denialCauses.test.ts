// Causes from state, not message wording: a denial of a version keysteward knows to be disabled, expired or deleted
// (from audit records, Event Grid or the inventory) has that cause whatever resultDescription says; the text is the
// fallback. One incident per root cause — never an unknown_denial beside a known cause that explains it.
// Built from records in the real formats (azure-formats.md §1, §3), judged at a fixed `now`.
import { describe, expect, it } from 'vitest';
import { indexEstate } from '../../../domain/estate/index.js';
import type { Estate } from '../../../domain/estate/model.js';
import { applyEvent, createFoldState } from '../../../domain/health/fold.js';
import { buildReport } from '../../../domain/health/report.js';
import { normaliseRecord } from '../../../domain/normalise/index.js';
import { armRecords, roleAssignmentDelete, vaultId, type Json } from '../../support/armRecords.js';
import { contoso, contosoDoc, estateFrom, EUS_OID, EUS_VAULT, KEY, V_NEW, V_OLD } from '../../support/estates.js';
import { at } from '../../support/events.js';
import { AUDIT, auditRecord, first } from '../normalise/records.js';

const KID = (version: string): string => `https://${EUS_VAULT}.vault.azure.net/keys/${KEY}/${version}`;
const NOW = at('2026-03-03T02:12:00Z');

const RBAC_TEXT = (first(AUDIT.forbidden)['resultDescription'] as string) ?? '';
const DISABLED_TEXT = 'Operation unwrapKey is not allowed on a disabled key.';
const FIREWALL_TEXT = 'Client address is not authorized and caller is not a trusted service.\r\nClient address: 20.42.8.17';
const UNRECOGNISED = 'Forbidden';

/** The SQL server (EUS member) unwrapping `version`, refused with `status` and `text` (undefined: no resultDescription). */
function unwrapDenied(time: string, version: string, text: string | undefined, status = 403, flags: Json = {}): Json {
  return auditRecord(
    { time, resultDescription: text, correlationId: `deny-${time}` },
    { id: KID(version), requestUri: `${KID(version)}/unwrapkey?api-version=7.4`, httpStatusCode: status, isRbacAuthorized: undefined, ...flags },
  );
}

function keyUpdate(time: string, version: string, attributes: Json): Json {
  const base = first(AUDIT.update);
  return { ...base, time, correlationId: `update-${time}`, properties: { ...(base['properties'] as Json), id: KID(version), requestUri: `${KID(version)}?api-version=7.5`, keyProperties: { type: 'RSA-HSM', attributes: { ...attributes, hsmPlatform: '2' } } } };
}

function keyDeleted(time: string): Json {
  return auditRecord({ time, operationName: 'KeyDelete', resultDescription: undefined, correlationId: `delete-${time}` }, { id: `https://${EUS_VAULT}.vault.azure.net/keys/${KEY}`, requestUri: undefined, httpStatusCode: 200, isRbacAuthorized: true });
}

function eventGrid(type: 'KeyExpired' | 'KeyNewVersionCreated', time: string, version: string, exp: number | null): Json {
  return {
    id: `eg-${type}-${time}`,
    topic: `/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers/Microsoft.KeyVault/vaults/${EUS_VAULT}`,
    subject: KEY,
    eventType: `Microsoft.KeyVault.${type}`,
    eventTime: time,
    data: { Id: KID(version), VaultName: EUS_VAULT, ObjectType: 'Key', ObjectName: KEY, Version: version, NBF: null, EXP: exp },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

/** The EUS vault's inventory as reconcile would read it: V_OLD (older) and V_NEW. */
function withInventory(v: { enabled: boolean; exp: string | null }): Estate {
  const doc = contosoDoc();
  doc['inventory'] = {
    [EUS_VAULT]: {
      [KEY]: [
        { version: V_OLD, thumbprint: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', enabled: true, exp: null, created: '2025-09-01T00:00:00Z' },
        { version: V_NEW, thumbprint: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', enabled: v.enabled, exp: v.exp, created: '2026-03-01T00:00:00Z' },
      ],
    },
  };
  return estateFrom(doc);
}

const roleRemoved = (time: string): Json[] =>
  armRecords(roleAssignmentDelete({ correlationId: 'f0e1d2c3-b4a5-4968-8776-655443322110', startAt: at(time) - 2000, endAt: at(time), outcome: 'success', assignment: '4c1d2e3f-5a6b-47c8-a9b0-c1d2e3f4a5b6', principalId: EUS_OID, scope: vaultId(EUS_VAULT).toLowerCase() }));

function incidents(records: readonly Json[], estate: Estate = contoso()): string[] {
  const state = createFoldState(indexEstate(estate));
  for (const record of records) {
    const result = normaliseRecord(record);
    if (result.status === 'rejected') throw new Error(`fixture rejected: ${result.reason}`);
    if (result.status === 'ok') for (const e of result.events) applyEvent(state, e);
  }
  return buildReport(state, { records: 0, matched: 0, ignored: 0, rejected: 0 }, NOW)
    .incidents.filter((i) => i.member.endsWith('sql-orders-eus'))
    .map((i) => `${i.cause} ${i.stage} lost ${i.accessLostAt ?? '-'}`);
}

describe('the cause of a denial comes from what is known of the key when it happened', () => {
  it.each<[string, Json[], string[], Estate?]>([
    [
      'disabled by KeyUpdate, then refused with no resultDescription and only the RBAC flag',
      [keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false }), unwrapDenied('2026-03-03T02:03:00Z', V_NEW, undefined, 403, { isRbacAuthorized: false })],
      ['key_disabled access_lost lost 2026-03-03T02:03:00.000Z'],
    ],
    [
      'disabled by KeyUpdate, then refused with the RBAC wording',
      [keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false }), unwrapDenied('2026-03-03T02:03:00Z', V_NEW, RBAC_TEXT)],
      ['key_disabled access_lost lost 2026-03-03T02:03:00.000Z'],
    ],
    [
      'disabled, refused with the disabled wording (text and state agree)',
      [keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false }), unwrapDenied('2026-03-03T02:03:00Z', V_NEW, DISABLED_TEXT)],
      ['key_disabled access_lost lost 2026-03-03T02:03:00.000Z'],
    ],
    [
      'expired (Event Grid KeyExpired), refused with a wording nobody recognises',
      [eventGrid('KeyExpired', '2026-03-03T01:00:00Z', V_NEW, at('2026-03-03T01:00:00Z') / 1000), unwrapDenied('2026-03-03T02:05:00Z', V_NEW, UNRECOGNISED)],
      ['key_expired access_lost lost 2026-03-03T02:05:00.000Z'],
    ],
    [
      'disabled in the inventory reconcile read, refused with no resultDescription',
      [unwrapDenied('2026-03-03T02:05:00Z', V_NEW, undefined)],
      ['key_disabled access_lost lost 2026-03-03T02:05:00.000Z'],
      withInventory({ enabled: false, exp: null }),
    ],
    [
      'expired per the inventory, refused with the RBAC wording',
      [unwrapDenied('2026-03-03T02:05:00Z', V_NEW, RBAC_TEXT)],
      ['key_expired access_lost lost 2026-03-03T02:05:00.000Z'],
      withInventory({ enabled: true, exp: '2026-03-02T00:00:00Z' }),
    ],
    [
      'the key deleted, then a 403 with the RBAC wording',
      [keyDeleted('2026-03-03T02:00:00Z'), unwrapDenied('2026-03-03T02:04:00Z', V_NEW, RBAC_TEXT)],
      ['key_deleted access_lost lost 2026-03-03T02:04:00.000Z'],
    ],
    [
      'a firewall denial while the key is disabled keeps its own cause: the firewall answers before the key is looked at',
      [keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false }), unwrapDenied('2026-03-03T02:03:00Z', V_NEW, FIREWALL_TEXT)],
      ['firewall_blocked access_lost lost 2026-03-03T02:03:00.000Z', 'key_disabled at_risk lost -'],
    ],
    [
      're-enabled before the denial: the state no longer explains it, the wording does',
      [keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false }), keyUpdate('2026-03-03T02:01:00Z', V_NEW, { enabled: true }), unwrapDenied('2026-03-03T02:03:00Z', V_NEW, RBAC_TEXT)],
      ['key_disabled resolved lost -', 'permission_revoked access_lost lost 2026-03-03T02:03:00.000Z'],
    ],
    [
      'a denial before the key was disabled is not explained by it',
      [unwrapDenied('2026-03-03T01:50:00Z', V_NEW, UNRECOGNISED), keyUpdate('2026-03-03T02:00:00Z', V_NEW, { enabled: false })],
      ['key_disabled at_risk lost -', 'unknown_denial inaccessible lost 2026-03-03T01:50:00.000Z'],
    ],
  ])('%s', (_name, records, expected, estate) => {
    expect(incidents(records, estate)).toEqual(expected);
  });
});

describe('one incident per root cause', () => {
  it('an unrecognised denial while the member’s role removal is open is that incident’s loss of access', () => {
    expect(incidents([...roleRemoved('2026-03-03T02:00:00Z'), unwrapDenied('2026-03-03T02:06:00Z', V_NEW, UNRECOGNISED)])).toEqual([
      'permission_revoked access_lost lost 2026-03-03T02:06:00.000Z',
    ]);
  });

  it('an unrecognised denial with no open cause is an unknown_denial', () => {
    expect(incidents([unwrapDenied('2026-03-03T02:06:00Z', V_NEW, UNRECOGNISED)])).toEqual(['unknown_denial access_lost lost 2026-03-03T02:06:00.000Z']);
  });

  it('an unrecognised denial after the open incident resolved is a new unknown_denial', () => {
    // The member unwraps successfully once the change has had its 10 minutes to propagate: access was not cut.
    const usedAgain = auditRecord({ time: '2026-03-03T02:10:00Z', resultDescription: undefined, correlationId: 'ok-1' }, { id: KID(V_NEW), httpStatusCode: 200, isRbacAuthorized: true });
    expect(incidents([...roleRemoved('2026-03-03T02:00:00Z'), usedAgain, unwrapDenied('2026-03-03T02:11:00Z', V_NEW, UNRECOGNISED)])).toEqual([
      'permission_revoked resolved lost -',
      'unknown_denial access_lost lost 2026-03-03T02:11:00.000Z',
    ]);
  });
});
