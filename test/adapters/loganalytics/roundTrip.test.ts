// Reconcile and Event Hubs must yield the same events (same ids), so the fold dedupes them (I5): a raw record
// mapped to its Log Analytics row and read back normalises exactly like the raw record — directly, and after
// the wire trip (datetime/dynamic as text, then converted as LogsQueryClient converts them).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowToActivityRecord, rowToAuditRecord } from '../../../adapters/loganalytics/index.js';
import { normaliseActivityRecord } from '../../../domain/normalise/activityLog.js';
import { normaliseAuditRecord } from '../../../domain/normalise/keyVaultAudit.js';
import { activityRecordToAzureActivityRow, auditRecordToAzkvRow, rowValues, wireValue } from '../../../emulators/loganalytics/index.js';
import type { LogRow } from '../../../emulators/loganalytics/index.js';
import { activityFixtures, auditFixtures } from './fixtures.js';
import type { Json } from './fixtures.js';

/** JSON over the wire, then the conversions of @azure/monitor-query-logs (datetime → Date, dynamic → JSON.parse). */
function throughWire(row: LogRow): Record<string, unknown> {
  const names = Object.keys(row);
  const wire = JSON.parse(JSON.stringify(names.map((n) => wireValue(row[n])))) as unknown[];
  return Object.fromEntries(
    names.map((n, i) => {
      const v = wire[i];
      const type = row[n]?.type;
      if (type === 'datetime' && typeof v === 'string') return [n, new Date(v)];
      if (type === 'dynamic' && typeof v === 'string') return [n, JSON.parse(v) as unknown];
      return [n, v];
    }),
  );
}

const viaRow = (r: Json) => normaliseAuditRecord(rowToAuditRecord(rowValues(auditRecordToAzkvRow(r))));
const viaWire = (r: Json) => normaliseAuditRecord(rowToAuditRecord(throughWire(auditRecordToAzkvRow(r))));

describe('AuditEvent ↔ AZKVAuditLogs', () => {
  it.each(auditFixtures().map((f) => [f.name, f.record] as const))('%s normalises the same after the round trip', (_name, record) => {
    const direct = normaliseAuditRecord(record);
    expect(direct.status).toBe('ok');
    expect(viaRow(record)).toEqual(direct);
    expect(viaWire(record)).toEqual(direct);
  });

  it('the re-read record keeps the raw shape: upper-case resourceId, string durationMs, identity, properties', () => {
    const [f] = auditFixtures().filter((x) => x.name.startsWith('unwrap-forbidden'));
    const back = rowToAuditRecord(throughWire(auditRecordToAzkvRow(f?.record)));
    expect(back).toMatchObject({
      time: '2026-03-03T02:17:45.903Z',
      category: 'AuditEvent',
      operationName: 'KeyUnwrap',
      resultType: 'Success',
      resultSignature: 'Forbidden',
      durationMs: '6',
      resourceId: '/SUBSCRIPTIONS/3C5E9A71-2B84-4F06-9D13-6A7B8C9D0E1F/RESOURCEGROUPS/RG-DATA-PROD/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-CMK-PROD-EUS',
      identity: (f?.record as Json)['identity'],
      properties: { httpStatusCode: 403, isRbacAuthorized: false, clientInfo: 'SqlServerAkvClient/1.0' },
    });
  });

  it('typed columns win, and vault settings are rebuilt from flattened columns when VaultProperties is absent', () => {
    const back = rowToAuditRecord({
      TimeGenerated: '2026-03-05T16:20:33.7012345Z',
      OperationName: 'VaultPatch',
      Properties: '{"httpStatusCode":500}',
      HttpStatusCode: 200,
      NetworkAcls: '{"bypass":"None","defaultAction":"Deny"}',
      EnableSoftDelete: true,
      EnablePurgeProtection: false,
      SoftDeleteRetentionInDays: 90,
      _ResourceId: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv-x',
      CorrelationId: '',
    });
    expect(back['properties']).toEqual({
      httpStatusCode: 200,
      properties: { networkAcls: { bypass: 'None', defaultAction: 'Deny' }, enableSoftDelete: true, enablePurgeProtection: false, softDeleteRetentionInDays: 90 },
    });
    expect(normaliseAuditRecord(back)).toMatchObject({ status: 'ok', events: [{ kind: 'vault-config', vault: 'kv-x', softDelete: true, purgeProtection: false }] });
  });

  // Mutations of the fixtures over what the normaliser reads: operation, status, authorisation flags,
  // denial text, time precision, correlation id, claim spelling and case, key attributes, id forms.
  const OPS = ['KeyGet', 'KeyWrap', 'KeyUnwrap', 'KeyCreate', 'KeyImport', 'KeyRotate', 'KeyRotateIfDue', 'KeyUpdate', 'KeyDelete', 'KeyPurge', 'KeyRecover', 'KeyList', 'VaultGet', 'VaultPatch', 'VaultDelete', 'VaultPurge', 'SecretGet', 'KeyNearExpiryEventGridNotification'];
  const DESCRIPTIONS = auditFixtures().map((f) => f.record['resultDescription']).filter((d): d is string => typeof d === 'string');
  const LONG_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
  const mutated = fc
    .record({
      base: fc.constantFrom(...auditFixtures().map((f) => f.record)),
      time: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }),
      subMs: fc.integer({ min: 0, max: 9999 }),
      op: fc.constantFrom(...OPS),
      status: fc.constantFrom(200, 202, 204, 400, 401, 403, 404, 409, 429, 500, 503),
      rbac: fc.option(fc.boolean(), { nil: undefined }),
      policy: fc.option(fc.boolean(), { nil: undefined }),
      correlationId: fc.oneof(fc.uuid(), fc.constant(''), fc.uuid().map((u) => u.toUpperCase())),
      description: fc.option(fc.constantFrom(...DESCRIPTIONS), { nil: undefined }),
      claims: fc.constantFrom('keep', 'upper-oid', 'long-oid', 'none'),
      enabled: fc.option(fc.boolean(), { nil: undefined }),
      exp: fc.option(fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), { nil: undefined }),
      idForm: fc.constantFrom('keep', 'versionless', 'absent', 'deleted'),
      duration: fc.nat(100_000),
    })
    .map((m) => {
      const r = structuredClone(m.base) as Json;
      const iso = m.time.toISOString();
      r['time'] = `${iso.slice(0, 23)}${String(m.subMs).padStart(4, '0')}Z`;
      r['operationName'] = m.op;
      r['correlationId'] = m.correlationId;
      r['durationMs'] = String(m.duration);
      if (m.description === undefined) delete r['resultDescription'];
      else r['resultDescription'] = m.description;
      const p = r['properties'] as Json;
      p['httpStatusCode'] = m.status;
      for (const [k, v] of [['isRbacAuthorized', m.rbac], ['isAccessPolicyMatch', m.policy]] as const) {
        if (v === undefined) delete p[k];
        else p[k] = v;
      }
      const kid = typeof p['id'] === 'string' ? p['id'] : 'https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector/0a9b8c7d6e5f40312233445566778899';
      if (m.idForm === 'versionless') p['id'] = kid.replace(/\/[0-9a-f]{32}$/, '');
      else if (m.idForm === 'absent') delete p['id'];
      else if (m.idForm === 'deleted') p['id'] = 'https://kv-cmk-prod-wus.vault.azure.net/deletedkeys/sql-tde-protector';
      const attributes = { ...(m.enabled === undefined ? {} : { enabled: m.enabled }), ...(m.exp === undefined ? {} : { exp: m.exp }) };
      p['keyProperties'] = { type: 'RSA-HSM', attributes };
      const claim = ((r['identity'] as Json | undefined)?.['claim'] as Json | undefined) ?? { oid: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c' };
      const oid = (claim['oid'] ?? claim[LONG_OID]) as string | undefined;
      if (m.claims === 'none') delete r['identity'];
      else if (m.claims === 'upper-oid') r['identity'] = { claim: { ...claim, oid: oid?.toUpperCase() } };
      else if (m.claims === 'long-oid') r['identity'] = { claim: { [LONG_OID]: oid, appid: claim['appid'] } };
      return r;
    });

  it('property: every mutated fixture normalises the same after the round trip (row and wire)', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(mutated, (record) => {
        const direct = normaliseAuditRecord(record);
        expect(viaRow(record)).toEqual(direct);
        expect(viaWire(record)).toEqual(direct);
        const label = direct.status === 'ok' ? direct.events.map((e) => e.kind).join('+') : direct.status;
        seen.set(label, (seen.get(label) ?? 0) + 1);
      }),
      { numRuns: 500 },
    );
    // The mutations must reach the interesting outcomes, not only ignored/rejected records.
    for (const kind of ['key-access', 'key-version-created', 'key-attributes-changed', 'key-deleted', 'vault-config', 'ignored']) expect(seen.get(kind) ?? 0).toBeGreaterThan(0);
  });
});

describe('activity record ↔ AzureActivity', () => {
  const viaActivityWire = (r: Json) => normaliseActivityRecord(rowToActivityRecord(throughWire(activityRecordToAzureActivityRow(r))));

  it.each(activityFixtures().map((f) => [f.name, f.record] as const))('%s normalises the same after the round trip', (_name, record) => {
    const direct = normaliseActivityRecord(record);
    expect(direct.status).toBe('ok');
    expect(normaliseActivityRecord(rowToActivityRecord(rowValues(activityRecordToAzureActivityRow(record))))).toEqual(direct);
    expect(viaActivityWire(record)).toEqual(direct);
  });

  it('the re-read record has the Event Hubs shape: upper-case names, resultSignature, identity parts', () => {
    const [f] = activityFixtures().filter((x) => x.name.startsWith('role-assignment-delete'));
    const back = rowToActivityRecord(throughWire(activityRecordToAzureActivityRow(f?.record)));
    const original = f?.record as Json;
    expect(back).toMatchObject({
      operationName: 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE',
      resourceId: String(original['resourceId']).toUpperCase(),
      category: 'Administrative',
      resultType: 'Success',
      resultSignature: 'Succeeded.OK',
      correlationId: original['correlationId'],
      identity: original['identity'],
      properties: original['properties'],
    });
  });

  it('property: phase, time and correlation id survive the round trip', () => {
    const phases = fc.constantFrom(['Start', 'Started.'], ['Success', 'Succeeded.OK'], ['Success', 'Succeeded.Created'], ['Failure', 'Failed.Forbidden'], ['Accept', 'Accepted.Accepted']);
    fc.assert(
      fc.property(
        fc.constantFrom(...activityFixtures().map((f) => f.record)),
        phases,
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.oneof(fc.uuid(), fc.constant('')),
        fc.option(fc.constantFrom('Database db1 on Server srv has lost access to Azure Key Vault Key and is now transitioning to inaccessible state.'), { nil: undefined }),
        (base, [resultType, resultSignature], time, correlationId, description) => {
          const r = { ...structuredClone(base), resultType, resultSignature, time: `${time.toISOString().slice(0, 23)}0000Z`, correlationId } as Json;
          if (description !== undefined) r['resultDescription'] = description;
          expect(viaActivityWire(r)).toEqual(normaliseActivityRecord(r));
        },
      ),
      { numRuns: 300 },
    );
  });
});
