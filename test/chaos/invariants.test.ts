// The chaos suite's checkers (chaos/invariants.ts) catch what they are for: each gets evidence with a crafted violation
// and must count it, and the same evidence without it must count nothing. Evidence is built the way the suite reads
// it — real AuditEvent records folded by the domain into stored snapshots, email texts rendered by the alert renderer.
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../domain/alerts/render.js';
import { indexEstate } from '../../domain/estate/index.js';
import { applyEvent, createFoldState } from '../../domain/health/fold.js';
import { toSnapshot, type ProtectorSnapshot } from '../../domain/health/snapshot.js';
import { normaliseRecord } from '../../domain/normalise/index.js';
import type { Incident } from '../../domain/report.js';
import {
  alertErrors,
  announcedIn,
  concurrentRuns,
  duplicateVersions,
  failedRequests,
  lostRequests,
  orderViolations,
  prematureRetirements,
  secretForms,
  secretsFound,
  stateDifferences,
  unappliedRecords,
  type CreatedVersion,
  type GeoGroup,
  type ProtectorWrite,
  type RequestOutcome,
} from '../../chaos/invariants.js';
import { contoso, EUS_SERVER, readFixture, WUS_SERVER } from '../support/estates.js';

const NOW = Date.parse('2026-03-03T12:00:00Z');

describe('acknowledged requests', () => {
  const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({ kind: 'rotation', id: 'rot-a', phase: 'p', state: 'completed', terminal: true, succeeded: true, ...o });
  it('lost: unknown to the host, or never ended; failed: ended otherwise than asked', () => {
    const outcomes = [outcome({}), outcome({ id: 'rot-b', state: null, terminal: false, succeeded: false }), outcome({ id: 'rot-c', state: 'running', terminal: false, succeeded: false }), outcome({ id: 'rot-d', state: 'failed-needs-operator', succeeded: false })];
    expect(lostRequests(outcomes).count).toBe(2);
    expect(lostRequests(outcomes).details[0]).toMatch(/rot-b is unknown to the host/);
    expect(lostRequests([outcome({ kind: 'itsm', id: 'itsm-1', state: 'approved', terminal: false, succeeded: false, reason: 'protector busy' })]).details).toEqual(['p: itsm itsm-1 is approved (protector busy)']);
    expect(failedRequests(outcomes)).toMatchObject({ count: 1, details: ['p: rotation rot-d ended failed-needs-operator'] });
    expect(lostRequests([outcome({})]).count + failedRequests([outcome({})]).count).toBe(0);
  });
});

describe('I1: one new version per vault per request', () => {
  const v = (vault: string, tag: string | null, seq: number): CreatedVersion => ({ vault, key: 'k', version: `${vault}-${seq}`, tag, seq });
  it('one version per vault per run passes; a second version of a run, an untagged version, and two runs of one webhook are counted', () => {
    const clean = [v('eus', 'rot-1', 3), v('wus', 'rot-1', 1), v('eus', 'rot-2', 6), v('wus', 'rot-2', 5)];
    expect(duplicateVersions(clean, new Map()).count).toBe(0);
    expect(duplicateVersions([...clean, v('wus', 'rot-1', 2)], new Map()).count).toBe(1);
    expect(duplicateVersions([...clean, v('wus', null, 9)], new Map()).details[0]).toMatch(/claimed by no run/);
    // rot-1 and rot-2 both came from one ServiceNow webhook: two versions per vault for one request.
    const oneWebhook = new Map([['rot-1', 'snow-CHG1'], ['rot-2', 'snow-CHG1']]);
    expect(duplicateVersions(clean, oneWebhook).count).toBe(2);
  });
});

describe('I2: secondaries before the primary', () => {
  const group: GeoGroup = { protector: 'orders', primary: EUS_SERVER, secondaries: [WUS_SERVER], primaryVault: 'eus', secondaryVaults: ['wus'] };
  const initial = new Map([[EUS_SERVER, 'T0'], [WUS_SERVER, 'T0']]);
  const w = (seq: number, server: string, thumbprint: string, ok = true): ProtectorWrite => ({ seq, server, thumbprint, ok });
  it('a primary switched to T only after its secondary passes; before it (or after a refused secondary write) is counted', () => {
    expect(orderViolations([group], initial, [w(1, WUS_SERVER, 'T1'), w(2, EUS_SERVER, 'T1')], []).count).toBe(0);
    expect(orderViolations([group], initial, [w(1, EUS_SERVER, 'T1'), w(2, WUS_SERVER, 'T1')], []).count).toBe(1);
    expect(orderViolations([group], initial, [w(1, WUS_SERVER, 'T1', false), w(2, EUS_SERVER, 'T1')], []).count).toBe(1);
    // Re-setting the material the secondary already had from the start is not a violation.
    expect(orderViolations([group], initial, [w(1, EUS_SERVER, 'T0')], []).count).toBe(0);
  });
  it('a run importing into the primary vault before the secondary vault is counted', () => {
    const created = (eus: number, wus: number): CreatedVersion[] => [
      { vault: 'eus', key: 'k', version: 'a', tag: 'rot-1', seq: eus },
      { vault: 'wus', key: 'k', version: 'b', tag: 'rot-1', seq: wus },
    ];
    expect(orderViolations([group], initial, [], created(5, 4)).count).toBe(0);
    expect(orderViolations([group], initial, [], created(4, 5)).details[0]).toMatch(/run rot-1 imported into eus before wus/);
  });
});

describe('I3: no premature retirement', () => {
  const ref = { vault: 'eus', key: 'k', version: 'v1' };
  const day = 86_400_000;
  it('a version disabled while a server uses it, or within retention after, is counted; one retired after retention is not', () => {
    const uses = [{ ...ref, by: 'sql-eus protector', from: 0, until: 10 * day }];
    expect(prematureRetirements([{ ...ref, at: 5 * day, how: 'disabled' }], uses, 35 * day).count).toBe(1);
    expect(prematureRetirements([{ ...ref, at: 20 * day, how: 'disabled' }], uses, 35 * day).details[0]).toMatch(/eus\/k\/v1 disabled while needed by sql-eus protector/);
    expect(prematureRetirements([{ ...ref, at: 50 * day, how: 'disabled' }], uses, 35 * day).count).toBe(0);
    expect(prematureRetirements([{ ...ref, at: 50 * day, how: 'deleted' }], [{ ...ref, by: 'cek', from: 0, until: null }], 35 * day).count).toBe(1);
    expect(prematureRetirements([{ ...ref, version: 'v2', at: 5 * day, how: 'disabled' }], uses, 35 * day).count).toBe(0);
  });
});

describe('I4: every acknowledged record applied or poisoned', () => {
  const estate = contoso();
  const index = indexEstate(estate);
  const records = [
    ...(readFixture('keyvault-audit/unwrap-ok-and-rotate.envelope.json') as { records: unknown[] }).records,
    ...(readFixture('keyvault-audit/unwrap-forbidden-rbac.envelope.json') as { records: unknown[] }).records,
  ];
  const bad = { category: 'AuditEvent', operationName: 'KeyGet', properties: {} };
  /** What keysteward would have stored after applying `applied`. */
  function statesAfter(applied: readonly unknown[]): Map<string, ProtectorSnapshot | null> {
    const fold = createFoldState(index);
    for (const r of applied) {
      const n = normaliseRecord(r);
      if (n.status === 'ok') for (const e of n.events) applyEvent(fold, e);
    }
    return new Map([...fold.protectors].map(([id, ps]) => [id, toSnapshot(ps)]));
  }

  it('records in the state and rejected ones in the poison table pass', () => {
    const result = unappliedRecords(index, [...records, bad], ['not json'], { states: statesAfter(records), poisonBodies: [JSON.stringify(bad), 'not json'] });
    expect(result).toMatchObject({ count: 0, poisoned: 2 });
    expect(result.applied + result.irrelevant).toBe(records.length);
    expect(result.applied).toBeGreaterThanOrEqual(2);
  });

  it('a denial missing from the stored state, a success missing, a rejected record or a message not poisoned are counted', () => {
    const [success, , denial] = records;
    const noDenial = unappliedRecords(index, records, [], { states: statesAfter(records.filter((r) => r !== denial)), poisonBodies: [] });
    expect(noDenial.count).toBe(1);
    expect(noDenial.details[0]).toMatch(/neither in the state nor poisoned/);
    expect(unappliedRecords(index, records, [], { states: statesAfter(records.filter((r) => r !== success)), poisonBodies: [] }).count).toBe(1);
    expect(unappliedRecords(index, [bad], ['not json'], { states: statesAfter([]), poisonBodies: [] }).count).toBe(2);
    // A batch poisoned whole after its last retry keeps its records inside one poison row.
    const whole = JSON.stringify({ records: [denial, bad] });
    expect(unappliedRecords(index, [denial, bad], [], { states: statesAfter([]), poisonBodies: [whole] }).count).toBe(0);
  });
});

const incident = (o: Partial<Incident>): Incident => ({
  protector: 'orders-sql',
  member: EUS_SERVER,
  cause: 'permission_revoked',
  stage: 'access_lost',
  openedAt: '2026-03-03T09:00:00.000Z',
  accessLostAt: '2026-03-03T09:00:00.000Z',
  inaccessibleAt: '2026-03-03T09:10:00.000Z',
  autohealDeadline: '2026-03-03T09:30:00.000Z',
  resolvedAt: null,
  episode: 0,
  evidence: [{ source: 'keyvault-audit', time: '2026-03-03T09:00:00.000Z', operation: 'KeyUnwrap', status: 403 }],
  ...o,
});

describe('I5: the same incidents and findings as a clean run', () => {
  it('equal views pass; an incident at another stage and a missing finding are counted on each side', () => {
    const finding = { code: 'key_near_expiry' as const, protector: 'orders-sql', vault: 'kv-cmk-prod-eus', detail: {} };
    const clean = new Map([['orders-sql', { incidents: [incident({})], findings: [finding] }]]);
    expect(stateDifferences(new Map(clean), clean).count).toBe(0);
    const chaotic = new Map([['orders-sql', { incidents: [incident({ stage: 'resolved', resolvedAt: '2026-03-03T09:05:00.000Z' })], findings: [] }]]);
    const diff = stateDifferences(chaotic, clean);
    expect(diff.count).toBe(3);
    expect(diff.details.join('\n')).toMatch(/only in the clean run: finding/);
  });
});

describe('I7: one email per transition per recipient', () => {
  const recipients = ['secops@contoso.example', 'dba@contoso.example'];
  const email = (kind: 'opened' | 'resolved', incidents: Incident[], to = recipients) => {
    const m = renderAlert({ key: 'k', kind, incidents, to, now: NOW });
    return { to: m.to, subject: m.subject, text: m.text };
  };
  const open = incident({});
  const resolved = incident({ stage: 'resolved', resolvedAt: '2026-03-03T09:05:00.000Z' });

  it('reads every incident block of a grouped alert', () => {
    const text = email('opened', [open, incident({ member: WUS_SERVER })]).text;
    expect(announcedIn(text).map((a) => [a.member, a.stage])).toEqual([[EUS_SERVER, 'access_lost'], [WUS_SERVER, 'access_lost']]);
  });

  it('one alert per stage per recipient passes; a second one is twice; a recipient left out or a missing resolved alert is never', () => {
    expect(alertErrors([email('opened', [open])], [open], recipients)).toMatchObject({ count: 0 });
    expect(alertErrors([email('opened', [open]), email('opened', [open])], [open], recipients)).toMatchObject({ twice: 2, never: 0 });
    expect(alertErrors([email('opened', [open], ['secops@contoso.example'])], [open], recipients)).toMatchObject({ twice: 0, never: 1 });
    expect(alertErrors([email('opened', [open])], [resolved], recipients)).toMatchObject({ never: 2 });
    expect(alertErrors([email('opened', [open]), email('resolved', [resolved])], [resolved], recipients).count).toBe(0);
    // Resolved before anyone was told it opened: nothing was owed.
    expect(alertErrors([], [resolved], recipients).count).toBe(0);
    // A second episode may announce the same stage again.
    expect(alertErrors([email('opened', [open]), email('opened', [open])], [incident({ episode: 1 })], recipients).count).toBe(0);
  });
});

describe('I8: no secret in logs, job payloads or Redis', () => {
  const secret = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes!!!!').toString('base64')}`;
  it('finds a secret as written, and its bytes in another encoding; names the secret, never its value', () => {
    const bytes = Buffer.from('a-webhook-secret-of-32-bytes!!!!');
    const found = secretsFound(
      [
        { where: 'output of host-A', text: `{"msg":"verifying","key":"${bytes.toString('hex')}"}` },
        { where: 'redis bull:job:1', text: `{"data":{"secret":"${secret}"}}` },
        { where: 'output of worker-1', text: '{"msg":"rotation step done"}' },
      ],
      [{ name: 'ITSM secret', value: secret }],
    );
    expect(found.details).toEqual(['ITSM secret in output of host-A', 'ITSM secret in redis bull:job:1']);
    expect(found.details.join(' ')).not.toContain(secret);
    expect(secretForms('short')).toEqual([]);
    expect(secretsFound([{ where: 'x', text: 'nothing here' }], [{ name: 's', value: secret }]).count).toBe(0);
  });
});

describe('at most one running rotation per protector', () => {
  it('overlapping runs of one protector are counted; back-to-back runs and runs of other protectors are not', () => {
    const runs = [
      { id: 'a', protector: 'p', start: 0, end: 10 },
      { id: 'b', protector: 'p', start: 10, end: 20 },
      { id: 'c', protector: 'q', start: 5, end: 15 },
    ];
    expect(concurrentRuns(runs).count).toBe(0);
    expect(concurrentRuns([...runs, { id: 'd', protector: 'p', start: 15, end: null }]).details).toEqual(['p: runs b and d ran at the same time']);
  });
});
