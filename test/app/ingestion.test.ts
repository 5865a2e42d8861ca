// The detect-and-alert use cases over the in-memory fakes: exactly one alert per transition, redelivery and
// poison records change nothing, time advances stages, escalation before the autoheal deadline, rate limits
// queue rather than drop.
import { describe, expect, it } from 'vitest';
import { ingestMessages } from '../../app/ingestion.js';
import { sweep } from '../../app/sweep.js';
import { dispatchPending } from '../../app/alerts.js';
import { readFixture, contoso } from '../support/estates.js';
import { harness, message } from '../support/appHarness.js';

const estate = contoso();
const denial = readFixture('keyvault-audit/unwrap-forbidden-rbac.envelope.json') as { records: Array<Record<string, unknown>> };
const roleDelete = readFixture('activity-log/role-assignment-delete.envelope.json');
const denialRecord = denial.records[0] as Record<string, unknown>;

/** A later successful unwrap by the same identity: access is back. */
function successAt(time: string): unknown {
  const r = structuredClone(denialRecord);
  const props = r['properties'] as Record<string, unknown>;
  r['time'] = time;
  r['resultSignature'] = 'OK';
  delete r['resultDescription'];
  props['httpStatusCode'] = 200;
  props['isRbacAuthorized'] = true;
  return { records: [r] };
}

describe('ingestion → alerts', () => {
  it('a denial sends exactly one alert naming the deadline; access restored sends one resolved alert', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const first = await ingestMessages(h.deps, [message(roleDelete), message(denial)]);
    expect(first).toMatchObject({ records: 2, matched: 2, rejected: 0, protectorsChanged: 1, alertsClaimed: 1 });
    expect(h.notifier.sent).toHaveLength(1);
    const alert = h.notifier.sent[0];
    expect(alert?.kind).toBe('opened');
    expect(alert?.to).toEqual(['secops@contoso.example']);
    expect(alert?.subject).toContain('KEY ACCESS LOST: orders-sql / sql-orders-eus — permission_revoked');
    expect(alert?.text).toContain('Autoheal deadline: 2026-03-03T02:47:45.903Z (in 29 min)');
    expect(alert?.text).toContain("First step: Give the member's identity get, wrapKey and unwrapKey");

    h.setNow('2026-03-03T02:21:00Z');
    await ingestMessages(h.deps, [message(successAt('2026-03-03T02:20:10.0000000Z'))]);
    expect(h.notifier.sent.map((m) => m.kind)).toEqual(['opened', 'resolved']);
    expect(h.notifier.sent[1]?.text).toContain('Access restored: 2026-03-03T02:20:10.000Z (lost for 2 min)');
    expect(h.notifier.sent[1]?.text).not.toContain('Autoheal deadline');
  });

  it('the same batch delivered twice leaves the same state and sends no second alert (E-2)', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const batch = [message(roleDelete), message(denial)];
    await ingestMessages(h.deps, batch);
    const stateAfterOne = JSON.stringify(await h.state.load('orders-sql'));
    const again = await ingestMessages(h.deps, batch);
    expect(again.protectorsChanged).toBe(0);
    expect(JSON.stringify(await h.state.load('orders-sql'))).toBe(stateAfterOne);
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('a poison record in the middle is stored with its position; the rest is applied as in a clean delivery (E-1)', async () => {
    const clean = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(clean.deps, [message(roleDelete), message(denial)]);

    const h = harness(estate, '2026-03-03T02:18:30Z');
    const poisoned = { records: [{ category: 'AuditEvent', operationName: 'KeyUnwrap' /* no time */ }, denialRecord] };
    const summary = await ingestMessages(h.deps, [message(roleDelete, '3'), message('{"records": [ not json', '3'), message(poisoned, '3')]);
    expect(summary).toMatchObject({ records: 4, matched: 2, rejected: 2 });
    const poison = await h.poison.list();
    expect(poison.map((p) => [p.partitionId, p.recordIndex, p.reason.split(':')[0]])).toEqual(
      expect.arrayContaining([
        ['3', 0, 'invalid JSON'],
        ['3', 0, 'missing time'],
      ]),
    );
    expect(poison.every((p) => p.sequenceNumber > 0 && p.offset !== '')).toBe(true);
    expect((await h.state.load('orders-sql'))?.snapshot).toEqual((await clean.state.load('orders-sql'))?.snapshot);
    expect(h.notifier.sent.map((m) => m.subject)).toEqual(clean.notifier.sent.map((m) => m.subject));
  });

  it('a poisoned record is kept as the JSON it was (a string record stays quoted); a message that is not JSON is kept as its text', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message({ records: ['00042', 7, null] }, '4'), message('not json at all', '4')]);
    const bodies = (await h.poison.list()).map((p) => p.body).sort();
    expect(bodies).toEqual(['"00042"', '7', 'not json at all', 'null'].sort());
  });

  it('the sweep announces stages reached by time alone, and escalates before the autoheal deadline', async () => {
    const h = harness(estate, '2026-03-03T02:18:00Z');
    await ingestMessages(h.deps, [message(denial)]);
    expect(h.notifier.sent.map((m) => m.kind)).toEqual(['opened']);

    h.setNow('2026-03-03T02:20:00Z');
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent).toHaveLength(1); // nothing new yet

    h.setNow('2026-03-03T02:28:00Z'); // accessLostAt 02:17:45.903 + PT10M
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent.map((m) => m.kind)).toEqual(['opened', 'advanced']);
    expect(h.notifier.sent[1]?.subject).toContain('DATABASE INACCESSIBLE');

    h.setNow('2026-03-03T02:38:00Z'); // deadline 02:47:45.903 − 10 min
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent.map((m) => m.kind)).toEqual(['opened', 'advanced', 'escalation']);
    expect(h.notifier.sent[2]?.subject).toContain('ESCALATION');
    expect(h.notifier.sent[2]?.text).toContain('(in 10 min)');

    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent).toHaveLength(3);
  });

  it('transitions from one root cause in one batch go out as one message', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const second = structuredClone(denialRecord);
    second['identity'] = { claim: { oid: '6f3b8d2e-9a4c-4b7f-8ae1-2d3f4a5b6c7d' } };
    (second['properties'] as Record<string, unknown>)['id'] = 'https://kv-cmk-prod-wus.vault.azure.net/keys/sql-tde-protector/0a9b8c7d6e5f40312233445566778899';
    await ingestMessages(h.deps, [message({ records: [denialRecord, second] })]);
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.notifier.sent[0]?.incidents.map((i) => i.member.split('/').pop())).toEqual(['sql-orders-eus', 'sql-orders-wus']);
    expect(h.notifier.sent[0]?.subject).toContain('2 members of 1 protector(s)');
  });

  it('over the send budget alerts wait in the ledger and go out once the budget refills', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z', { perMinute: 1 });
    const fw = structuredClone(denialRecord);
    fw['resultDescription'] = 'Client address is not authorized and caller is not a trusted service.';
    fw['time'] = '2026-03-03T02:18:00.0000000Z';
    await ingestMessages(h.deps, [message({ records: [denialRecord] })]);
    await ingestMessages(h.deps, [message({ records: [fw] })]);
    expect(h.notifier.sent).toHaveLength(1);
    expect(await h.ledger.pending()).toHaveLength(1);
    // One a minute: at most one send in any 60 s, so not before 02:19:30 (a fixed window would have let it go at 02:19:00).
    h.setNow('2026-03-03T02:19:29.999Z');
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent).toHaveLength(1);
    h.setNow('2026-03-03T02:19:30Z');
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent.map((m) => m.incidents[0]?.cause)).toEqual(['permission_revoked', 'firewall_blocked']);
    expect(await h.ledger.pending()).toHaveLength(0);
  });

  it('a failed send stays pending and is retried by the next sweep', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    h.notifier.failNext = 1;
    await ingestMessages(h.deps, [message(denial)]);
    expect(h.notifier.sent).toHaveLength(0);
    const [pending] = await h.ledger.pending();
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastError: 'capture: channel down', channels: { capture: { status: 'pending', attempts: 1, lastError: 'channel down' } } });
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('concurrent batches for one protector both land (compare-and-set retries)', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    const second = structuredClone(denialRecord);
    second['time'] = '2026-03-03T02:18:00.0000000Z';
    second['correlationId'] = 'another-call';
    await Promise.all([ingestMessages(h.deps, [message(roleDelete)]), ingestMessages(h.deps, [message(denial)]), ingestMessages(h.deps, [message({ records: [second] })])]);
    const stored = await h.state.load('orders-sql');
    expect(stored?.snapshot.events).toHaveLength(3);
    expect(h.notifier.sent.filter((m) => m.kind !== 'resolved').length).toBeGreaterThanOrEqual(1);
    const keys = h.notifier.sent.flatMap((m) => m.incidents.map((i) => `${i.cause}|${i.stage}|${i.openedAt}`));
    expect(new Set(keys).size).toBe(keys.length); // never the same transition twice
  });

  it('alerts carry no key material or tokens', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(roleDelete), message(denial)]);
    const text = JSON.stringify(h.notifier.sent);
    expect(text).not.toMatch(/Bearer|accesskey|"value"|BEGIN (RSA )?PRIVATE KEY/i);
  });
});

describe('long incidents and late evidence', () => {
  it('a denial storm over an hour sends opened, inaccessible, escalation, autoheal-expired — once each, deadlines fixed', async () => {
    const h = harness(estate, '2026-03-03T02:17:46Z');
    const base = Date.parse('2026-03-03T02:17:45.903Z');
    for (let minute = 0; minute < 60; minute++) {
      const records = Array.from({ length: 30 }, (_, i) => {
        const r = structuredClone(denialRecord);
        r['time'] = new Date(base + minute * 60_000 + i * 2000).toISOString().replace('Z', '0000Z');
        r['correlationId'] = `retry-${minute}-${i}`;
        return r;
      });
      h.setNow(new Date(base + (minute + 1) * 60_000).toISOString());
      await ingestMessages(h.deps, [message({ records })]);
      await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    }
    expect(h.notifier.sent.map((m) => `${m.kind}:${m.incidents[0]?.stage}`)).toEqual([
      'opened:access_lost',
      'advanced:inaccessible',
      'escalation:inaccessible',
      'advanced:autoheal_expired',
    ]);
    expect(new Set(h.notifier.sent.map((m) => m.incidents[0]?.autohealDeadline))).toEqual(new Set(['2026-03-03T02:47:45.903Z']));
    expect((await h.state.load('orders-sql'))?.snapshot.events.length).toBeLessThanOrEqual(400); // 1,800 denials stored, compacted
  });

  it('the activity-log record of the cause arriving after the denial (dated earlier) is the same episode: no second alert', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    await ingestMessages(h.deps, [message(denial)]);
    await ingestMessages(h.deps, [message(roleDelete)]); // 02:05:19, earlier than the 02:17:45 denial
    await sweep({ estates: h.deps.estates, state: h.state, alerts: h.alerts });
    expect(h.notifier.sent).toHaveLength(1);
  });
});

describe('concurrent dispatchers', () => {
  it('two dispatchers racing over different pending views never send the same alert twice', async () => {
    const h = harness(estate, '2026-03-03T02:18:30Z');
    h.notifier.failNext = 1; // the first send fails: the alert stays pending
    await ingestMessages(h.deps, [message(denial)]);
    const second = structuredClone(denialRecord);
    second['identity'] = { claim: { oid: '6f3b8d2e-9a4c-4b7f-8ae1-2d3f4a5b6c7d' } };
    second['time'] = '2026-03-03T02:18:10.0000000Z';
    (second['properties'] as Record<string, unknown>)['id'] = 'https://kv-cmk-prod-wus.vault.azure.net/keys/sql-tde-protector/0a9b8c7d6e5f40312233445566778899';
    h.notifier.failNext = 1;
    await ingestMessages(h.deps, [message({ records: [second] })]);
    expect(await h.ledger.pending()).toHaveLength(2);
    h.setNow('2026-03-03T02:21:00Z'); // past the failed attempts' leases
    await Promise.all([dispatchPending({ ...h.alerts, owner: 'a' }), dispatchPending({ ...h.alerts, owner: 'b' }), sweep({ estates: h.deps.estates, state: h.state, alerts: { ...h.alerts, owner: 'c' } })]);
    const sentKeys = h.notifier.sent.flatMap((m) => m.incidents.map((i) => i.member));
    expect(sentKeys.sort()).toEqual([...new Set(sentKeys)].sort());
    expect(sentKeys).toHaveLength(2);
  });
});
