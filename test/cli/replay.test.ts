// End-to-end through the real binary on the shared fixtures and on files built from them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../domain/report.js';
import { keysteward } from '../support/cli.js';
import { EUS_SERVER, FIXTURES, V_NEW } from '../support/estates.js';

const ESTATE = `${FIXTURES}estate/contoso.estate.json`;
const AUDIT = ['key-disabled-by-update', 'keyget-not-found', 'unwrap-forbidden-rbac', 'unwrap-ok-and-rotate', 'vault-patch-firewall'].map((f) => `${FIXTURES}keyvault-audit/${f}.envelope.json`);
const ACTIVITY = ['encryption-protector-write', 'role-assignment-delete'].map((f) => `${FIXTURES}activity-log/${f}.envelope.json`);
const EVENT_GRID = `${FIXTURES}event-grid/key-events.json`;

function replay(args: string[]): { report: ReplayReport; stderr: string } {
  const r = keysteward(['replay', '--estate', ESTATE, ...args]);
  expect(r.stderr.split('\n').filter((l) => !l.startsWith('rejected')).join('')).toBe('');
  expect(r.code).toBe(0);
  return { report: JSON.parse(r.stdout) as ReplayReport, stderr: r.stderr };
}

const summary = (report: ReplayReport) => ({
  incidents: report.incidents.map((i) => `${i.member.split('/').pop()} ${i.cause} ${i.stage}`),
  findings: report.findings.map((f) => `${f.code} ${f.vault}`),
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'keysteward-'));

/** The Success record that ends the encryption-protector fixture's operation (its Start record), 3 s later. */
function protectorWriteSucceeded(): string {
  const envelope = JSON.parse(readFileSync(ACTIVITY[0] as string, 'utf8')) as { records: Array<Record<string, unknown>> };
  const start = envelope.records[0] as Record<string, unknown>;
  const success = { ...start, time: '2026-03-02T14:07:43.0000000Z', resultType: 'Success', resultSignature: 'Succeeded.OK', properties: { ...(start['properties'] as object), requestbody: undefined, statusCode: 'OK' } };
  const file = join(tmp(), 'protector-write-success.json');
  writeFileSync(file, JSON.stringify({ records: [success] }));
  return file;
}

describe('keysteward replay', () => {
  it('the Key Vault audit and activity-log fixtures give the documented incidents and findings', () => {
    const { report } = replay([...AUDIT, ...ACTIVITY]);
    expect(report.processed).toEqual({ records: 8, matched: 8, ignored: 0, rejected: 0 });
    expect(summary(report)).toEqual({
      incidents: ['sql-orders-eus key_deleted autoheal_expired', 'sql-orders-eus key_disabled at_risk', 'sql-orders-eus permission_revoked autoheal_expired'],
      findings: ['geo_rotation_incomplete kv-cmk-prod-wus'],
    });
    const revoked = report.incidents.find((i) => i.cause === 'permission_revoked');
    expect(revoked).toEqual({
      protector: 'orders-sql', member: EUS_SERVER, cause: 'permission_revoked', stage: 'autoheal_expired',
      openedAt: '2026-03-03T02:05:19.227Z', accessLostAt: '2026-03-03T02:17:45.903Z', inaccessibleAt: '2026-03-03T02:27:45.903Z',
      autohealDeadline: '2026-03-03T02:47:45.903Z', resolvedAt: null, episode: 0,
      evidence: [
        { source: 'activity-log', time: '2026-03-03T02:05:19.227Z', operation: 'Microsoft.Authorization/roleAssignments/delete' },
        { source: 'keyvault-audit', time: '2026-03-03T02:17:45.903Z', operation: 'KeyUnwrap', status: 403 },
      ],
    });
  });

  it('judged at --now, the revocation is still inside the autoheal window', () => {
    const { report } = replay(['--now', '2026-03-03T02:30:00Z', ...AUDIT, ...ACTIVITY]);
    expect(summary(report).incidents).toEqual(['sql-orders-eus permission_revoked inaccessible']);
  });

  it('each fixture on its own gives what it should', () => {
    const cases: Array<[string, string[], string[]]> = [
      [AUDIT[0] as string, ['sql-orders-eus key_disabled at_risk'], []],
      [AUDIT[1] as string, ['sql-orders-eus key_deleted access_lost'], []],
      [AUDIT[2] as string, ['sql-orders-eus permission_revoked access_lost'], []],
      [AUDIT[3] as string, [], []], // a healthy unwrap and a rotation whose hour has not run out at the last event
      [AUDIT[4] as string, [], []], // firewall Deny with the AzureServices bypass: SQL still gets through
      [ACTIVITY[0] as string, [], []],
      [ACTIVITY[1] as string, ['sql-orders-eus permission_revoked at_risk'], []],
    ];
    for (const [file, incidents, findings] of cases) expect(summary(replay([file]).report), file).toEqual({ incidents, findings });
  });

  it('Event Grid events add Key Vault’s near-expiry notice and the due rotation', () => {
    // The protector fixture is the Start record of the write (intent): whether the server took V_NEW is said by its
    // Success record. Until it comes, V_NEW — disabled by the KeyUpdate fixture — is not known to be in use, so its
    // expiry needs no warning.
    const pending = replay([...AUDIT, ...ACTIVITY, EVENT_GRID]).report;
    expect(pending.processed).toEqual({ records: 11, matched: 11, ignored: 0, rejected: 0 });
    expect(summary(pending).findings).toEqual(['geo_rotation_incomplete kv-cmk-prod-wus', 'rotation_due kv-cmk-prod-eus']);

    const { report } = replay([...AUDIT, ...ACTIVITY, EVENT_GRID, protectorWriteSucceeded()]);
    expect(summary(report).findings).toEqual(['geo_rotation_incomplete kv-cmk-prod-wus', 'key_near_expiry kv-cmk-prod-eus', 'rotation_due kv-cmk-prod-eus']);
    expect(report.findings.find((f) => f.code === 'key_near_expiry')?.detail).toEqual({
      versions: [{ version: V_NEW, exp: '2027-03-04T00:00:00.000Z', expired: false, notifiedByKeyVault: true }],
    });
  });

  it('reads NDJSON records, arrays of envelopes and Event Grid arrays in any mix and order, byte for byte the same', () => {
    const dir = tmp();
    const records = [...AUDIT, ...ACTIVITY].flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { records: unknown[] }).records);
    const ndjson = join(dir, 'records.ndjson');
    writeFileSync(ndjson, `${records.reverse().map((r) => JSON.stringify(r)).join('\n')}\n`);
    const envelopes = join(dir, 'envelopes.json');
    writeFileSync(envelopes, JSON.stringify([...AUDIT, ...ACTIVITY].map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown)));
    const a = keysteward(['replay', '--estate', ESTATE, ...AUDIT, ...ACTIVITY, EVENT_GRID]);
    const b = keysteward(['replay', '--estate', ESTATE, EVENT_GRID, ndjson]);
    const c = keysteward(['replay', '--estate', ESTATE, envelopes, EVENT_GRID, ndjson]); // duplicates: every record twice
    expect(b.stdout).toBe(a.stdout);
    const dup = JSON.parse(c.stdout) as ReplayReport;
    const first = JSON.parse(a.stdout) as ReplayReport;
    expect(dup.processed.records).toBe(19);
    expect({ ...dup, processed: null }).toEqual({ ...first, processed: null });
  });

  it('counts malformed records as rejected, says why on stderr, and goes on', () => {
    const dir = tmp();
    const file = join(dir, 'mixed.ndjson');
    const good = (JSON.parse(readFileSync(AUDIT[2] as string, 'utf8')) as { records: unknown[] }).records[0];
    writeFileSync(file, [JSON.stringify(good), '{"records": [ truncated', JSON.stringify({ category: 'AuditEvent', operationName: 'KeyGet' }), '42', JSON.stringify({ records: [good, null] })].join('\n'));
    const r = keysteward(['replay', '--estate', ESTATE, file]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.processed).toEqual({ records: 6, matched: 2, ignored: 0, rejected: 4 });
    expect(summary(report).incidents).toEqual(['sql-orders-eus permission_revoked access_lost']);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^rejected ${file}:2: invalid JSON`));
    expect(lines[1]).toMatch(new RegExp(`^rejected ${file}:3#1: `));
    expect(lines[3]).toMatch(new RegExp(`^rejected ${file}:5#2: `));
  });

  it('a file that is not JSON at all is one rejected record', () => {
    const file = join(tmp(), 'garbage.json');
    writeFileSync(file, 'this is not\njson at all\n');
    const r = keysteward(['replay', '--estate', ESTATE, file]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as ReplayReport).processed).toEqual({ records: 1, matched: 0, ignored: 0, rejected: 1 });
  });

  it.each([
    [['replay', '--estate', 'no-such-estate.json', AUDIT[0] as string], /cannot read estate no-such-estate\.json/],
    [['replay', '--estate', ESTATE], /missing required argument 'files'/],
    [['replay', AUDIT[0] as string], /required option '--estate <file>' not specified/],
    [['replay', '--estate', ESTATE, 'no-such-file.json'], /cannot read no-such-file\.json: ENOENT/],
    [['replay', '--estate', ESTATE, '--now', 'yesterday', AUDIT[0] as string], /--now must be an ISO-8601 instant/],
    [['replay', '--estate', AUDIT[0] as string, AUDIT[0] as string], /estate .* is invalid: vaults: .*protectors: /],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with one line on stderr for %j', (args, message) => {
    const r = keysteward(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('names the bad field of an invalid estate', () => {
    const file = join(tmp(), 'estate.yaml');
    const doc = JSON.parse(readFileSync(ESTATE, 'utf8')) as { protectors: Array<{ members: Array<Record<string, unknown>> }> };
    (doc.protectors[0]?.members[1] as Record<string, unknown>).vault = 'kv-missing';
    writeFileSync(file, JSON.stringify(doc));
    const r = keysteward(['replay', '--estate', file, AUDIT[0] as string]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('protectors[0].members[1].vault: names vault "kv-missing", which is not in vaults[]');
  });

  it('reads a YAML estate', () => {
    const file = join(tmp(), 'estate.yaml');
    writeFileSync(file, [
      'vaults:',
      '  - name: kv-cmk-prod-eus',
      '  - name: kv-cmk-prod-wus',
      'protectors:',
      '  - id: orders-sql',
      '    kind: sql-tde',
      '    keyName: sql-tde-protector',
      '    members:',
      '      - { role: primary, vault: kv-cmk-prod-eus, principalId: 5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c,',
      '          resourceId: /subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers/Microsoft.Sql/servers/sql-orders-eus }',
      '',
    ].join('\n'));
    const r = keysteward(['replay', '--estate', file, AUDIT[2] as string]);
    expect(r.code).toBe(0);
    expect(summary(JSON.parse(r.stdout) as ReplayReport).incidents).toEqual(['sql-orders-eus permission_revoked access_lost']);
  });
});
